// List: the poollets relist without a filter every 5 s, find their objects by owner-UID label selector and
// diff the results with proto.Equal, so filtering must be exact and the bytes stable.
import { randomBytes } from "node:crypto";
import { check, expectOk, fail } from "../check.js";
import type { CaseContext, ConformanceCase, ObjectOf } from "../conformance-case.js";
import { describeDifference } from "../message-diff.js";
import { pause } from "../observe.js";
import type { Subject } from "../subjects/subject.js";

const OBJECT_LABEL = "conformance.iri.dev/object";

function ids(objects: readonly { metadata?: { id: string } }[]): string[] {
  return objects.map((o) => o.metadata?.id ?? "");
}

async function createOne<S extends Subject>(ctx: CaseContext<S>, extraLabels: Record<string, string> = {}) {
  const created = await expectOk(ctx.create(await ctx.newObject({ labels: extraLabels })), "Create");
  const id = created.metadata?.id ?? "";
  const labels = created.metadata?.labels ?? {};
  return { created, id, objectLabel: labels[OBJECT_LABEL] ?? "" };
}

async function listBySelector<S extends Subject>(ctx: CaseContext<S>, selector: Record<string, string>) {
  return expectOk(
    ctx.subject.list({ labelSelector: selector }),
    `List with label_selector ${JSON.stringify(selector)}`,
  );
}

export const listCases: ConformanceCase[] = [
  {
    name: "list/no-filter-includes-object",
    rule: "List without a filter returns every object, including a just-created one.",
    async run(ctx) {
      const { id } = await createOne(ctx);
      const all = await expectOk(ctx.subject.list(), "List without filter");
      check(ids(all).includes(id), `List without filter does not include ${ctx.subject.noun} ${id}`);
    },
  },
  {
    name: "list/filter-id-exact",
    rule: "filter.id matches exactly one object: the one with that id.",
    async run(ctx) {
      const a = await createOne(ctx);
      const b = await createOne(ctx);
      const found = await expectOk(ctx.subject.list({ id: a.id }), `List with filter.id=${a.id}`);
      check(
        found.length === 1 && found[0]?.metadata?.id === a.id,
        `List with filter.id=${a.id} returned [${ids(found).join(", ")}]`,
      );
      check(!ids(found).includes(b.id), "filter.id also returned another object");
    },
  },
  {
    name: "list/unknown-id-empty",
    rule: "filter.id of an unknown id returns an empty list, not an error.",
    async run(ctx) {
      const unknown = `conformance-unknown-${randomBytes(6).toString("hex")}`;
      const found = await expectOk(
        ctx.subject.list({ id: unknown }),
        `List with unknown filter.id=${unknown}`,
      );
      check(found.length === 0, `List with unknown filter.id returned ${found.length} objects`);
    },
  },
  {
    name: "list/label-selector-matches-subset",
    rule:
      "A label selector matches objects carrying every selected pair (objects may carry more labels); " +
      "other objects are excluded.",
    async run(ctx) {
      const a = await createOne(ctx);
      const b = await createOne(ctx);
      const selector = { [OBJECT_LABEL]: a.objectLabel };
      const found = await listBySelector(ctx, selector);
      check(
        found.length === 1 && found[0]?.metadata?.id === a.id,
        `selector ${JSON.stringify(selector)} returned [${ids(found).join(", ")}], want [${a.id}] (not ${b.id})`,
      );
    },
  },
  {
    name: "list/label-selector-all-pairs-must-match",
    rule: "A selector with one matching and one non-matching pair excludes the object (equality on every pair).",
    async run(ctx) {
      const a = await createOne(ctx);
      const selector = { [OBJECT_LABEL]: a.objectLabel, "conformance.iri.dev/run": `not-${ctx.runId}` };
      const found = await listBySelector(ctx, selector);
      check(!ids(found).includes(a.id), `selector ${JSON.stringify(selector)} matched ${a.id}`);
    },
  },
  {
    name: "list/label-selector-missing-key-excludes",
    rule: "A selector on a key the object does not carry excludes the object.",
    async run(ctx) {
      const a = await createOne(ctx);
      const selector = { [OBJECT_LABEL]: a.objectLabel, "conformance.iri.dev/absent": "x" };
      const found = await listBySelector(ctx, selector);
      check(!ids(found).includes(a.id), `selector ${JSON.stringify(selector)} matched ${a.id}`);
    },
  },
  {
    name: "list/label-selector-empty-value-matches-nothing",
    rule:
      'A selector {key: ""} does not match objects without that key (the poollets\' "delete gone" path sends ' +
      "an empty owner UID and deletes whatever matches).",
    async run(ctx) {
      const a = await createOne(ctx);
      const absentKey = `conformance.iri.dev/absent-${randomBytes(4).toString("hex")}`;
      const alone = await listBySelector(ctx, { [absentKey]: "" });
      check(
        alone.length === 0,
        `selector {${JSON.stringify(absentKey)}: ""} matched ${alone.length} objects that lack the key`,
      );
      const combined = await listBySelector(ctx, { [OBJECT_LABEL]: a.objectLabel, [absentKey]: "" });
      check(!ids(combined).includes(a.id), `selector with ${JSON.stringify(absentKey)}="" matched ${a.id}`);
    },
  },
  {
    name: "list/objects-complete",
    rule: "Every object List returns (without filter) has non-nil metadata, spec and status (volumes: spec.resources).",
    async run(ctx) {
      await createOne(ctx);
      const all = await expectOk(ctx.subject.list(), "List without filter");
      for (const object of all) {
        const problem = ctx.subject.incompleteness(object);
        check(
          problem === undefined,
          `${ctx.subject.noun} ${object.metadata?.id ?? "(no metadata)"}: ${problem}`,
        );
      }
    },
  },
  {
    name: "list/no-volatile-fields",
    rule:
      "Two Lists with nothing changed in between return byte-identical objects (the poollets diff every relist " +
      "with proto.Equal); the object may converge first, within the deadline.",
    async run(ctx) {
      const group = randomBytes(4).toString("hex");
      await createOne(ctx, { "conformance.iri.dev/group": group });
      await createOne(ctx, { "conformance.iri.dev/group": group });
      const selector = { "conformance.iri.dev/group": group };
      const deadline = Date.now() + ctx.timing.timeoutMs;
      let lastDifference = "";
      do {
        const first = await listBySelector(ctx, selector);
        await pause(ctx, ctx.timing.stableGapMs);
        const second = await listBySelector(ctx, selector);
        const difference = listDifference(ctx, first, second);
        if (difference === undefined) return;
        lastDifference = difference;
      } while (Date.now() < deadline);
      fail(
        `Lists ${ctx.timing.stableGapMs} ms apart never returned identical bytes within ${ctx.timing.timeoutMs} ms; ` +
          `last change: ${lastDifference}`,
      );
    },
  },
];

function listDifference<S extends Subject>(
  ctx: CaseContext<S>,
  first: ObjectOf<S>[],
  second: ObjectOf<S>[],
): string | undefined {
  const { subject } = ctx;
  if (first.length !== second.length || first.length !== 2) {
    return `List returned ${first.length} then ${second.length} objects, want 2`;
  }
  const before = new Map(first.map((o) => [o.metadata?.id ?? "", o]));
  for (const after of second) {
    const id = after.metadata?.id ?? "";
    const earlier = before.get(id);
    if (!earlier) return `${subject.noun} ${id} appeared between two Lists`;
    if (!Buffer.from(subject.serialize(earlier)).equals(subject.serialize(after))) {
      return `${subject.noun} ${id}: ${describeDifference(subject.objectSchema, earlier, after)}`;
    }
  }
  return undefined;
}
