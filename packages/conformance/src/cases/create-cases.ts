// Create: the response is written straight into Kubernetes status, so it must already be complete and exact.
import { check, expectOk } from "../check.js";
import type { ConformanceCase } from "../conformance-case.js";
import { mustGet } from "../observe.js";
import { mapDifference } from "../string-maps.js";
import { timestampProblem } from "../time-units.js";

/** A DNS label: safe as a file name, an RBD image name and the part after `<runtime_name>://`. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

// Shaped like what the poollets send: owner labels, downward-API labels (possibly empty), JSON annotations.
const ECHO_LABELS = {
  "conformance.iri.dev/owner-uid": "5a6f2c1e-0b7d-4c38-9a51-2f0e6d7c8b90",
  "downward-api.conformance.iri.dev/root-uid": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
  "conformance.iri.dev/empty": "",
};
const ECHO_ANNOTATIONS = {
  "conformance.iri.dev/generation": "7",
  "conformance.iri.dev/mapping": '{"primary":{"name":"nic-a","uid":"1234"}}',
  "conformance.iri.dev/empty": "",
  "conformance.iri.dev/unicode": "grüße ✓",
};

export const createCases: ConformanceCase[] = [
  {
    name: "create/echoes-labels-and-annotations",
    rule: "Create and List return labels and annotations exactly as sent (no key added, dropped or changed).",
    async run(ctx) {
      const object = await ctx.newObject({ labels: ECHO_LABELS, annotations: ECHO_ANNOTATIONS });
      const sentLabels = object.metadata?.labels ?? {};
      const created = await expectOk(ctx.create(object), "Create");
      const id = created.metadata?.id ?? "";
      const labelDiff = mapDifference(sentLabels, created.metadata?.labels);
      check(labelDiff === undefined, `Create response labels differ: ${labelDiff}`);
      const annotationDiff = mapDifference(ECHO_ANNOTATIONS, created.metadata?.annotations);
      check(annotationDiff === undefined, `Create response annotations differ: ${annotationDiff}`);
      const listed = await mustGet(ctx, id);
      const listedLabelDiff = mapDifference(sentLabels, listed.metadata?.labels);
      check(listedLabelDiff === undefined, `List labels differ: ${listedLabelDiff}`);
      const listedAnnotationDiff = mapDifference(ECHO_ANNOTATIONS, listed.metadata?.annotations);
      check(listedAnnotationDiff === undefined, `List annotations differ: ${listedAnnotationDiff}`);
    },
  },
  {
    name: "create/returns-complete-object",
    rule: "Create returns non-nil metadata, spec and status (volumes: also spec.resources), and so does List.",
    async run(ctx) {
      const created = await expectOk(ctx.create(await ctx.newObject()), "Create");
      const problem = ctx.subject.incompleteness(created);
      check(problem === undefined, `Create response: ${problem}`);
      const listed = await mustGet(ctx, created.metadata?.id ?? "");
      const listedProblem = ctx.subject.incompleteness(listed);
      check(listedProblem === undefined, `List: ${listedProblem}`);
    },
  },
  {
    name: "create/assigns-safe-id",
    rule:
      "Create assigns a non-empty id without `://` that is a DNS label (safe as file and RBD name); " +
      "two creates get different ids.",
    async run(ctx) {
      const first = await expectOk(ctx.create(await ctx.newObject()), "Create");
      const second = await expectOk(ctx.create(await ctx.newObject()), "second Create");
      for (const id of [first.metadata?.id ?? "", second.metadata?.id ?? ""]) {
        check(id !== "", "Create returned an empty metadata.id");
        check(!id.includes("://"), `id ${JSON.stringify(id)} contains "://"`);
        check(DNS_LABEL.test(id), `id ${JSON.stringify(id)} is not a DNS label ([a-z0-9-], at most 63)`);
      }
      check(
        first.metadata?.id !== second.metadata?.id,
        `two creates returned the same id ${first.metadata?.id}`,
      );
    },
  },
  {
    name: "create/created-at-unix-nanoseconds",
    rule: "metadata.created_at is Unix nanoseconds at creation (the poollets do time.Unix(0, created_at)).",
    async run(ctx) {
      const object = await ctx.newObject();
      const before = Date.now();
      const created = await expectOk(ctx.create(object), "Create");
      const after = Date.now();
      const createdAt = created.metadata?.createdAt ?? 0n;
      const problem = timestampProblem(createdAt, "nanoseconds", before, after);
      check(problem === undefined, `created_at ${problem}`);
      const listed = await mustGet(ctx, created.metadata?.id ?? "");
      check(
        listed.metadata?.createdAt === createdAt,
        `List created_at ${listed.metadata?.createdAt} differs from the Create response's ${createdAt}`,
      );
    },
  },
  {
    name: "create/initial-state",
    rule:
      "A created object is in PENDING or a later valid state (never TERMINATING/TERMINATED or an unknown value) " +
      "and has deleted_at 0.",
    async run(ctx) {
      const created = await expectOk(ctx.create(await ctx.newObject()), "Create");
      const state = ctx.subject.stateName(created);
      check(
        ctx.subject.createdStates.includes(state),
        `Create response state ${state}; expected one of ${ctx.subject.createdStates.join(", ")}`,
      );
      check(
        created.metadata?.deletedAt === 0n,
        `Create response deleted_at ${created.metadata?.deletedAt}, want 0`,
      );
      const listed = await mustGet(ctx, created.metadata?.id ?? "");
      const listedState = ctx.subject.stateName(listed);
      check(ctx.subject.validStates.includes(listedState), `List state ${listedState} is not a valid state`);
      check(listed.metadata?.deletedAt === 0n, `List deleted_at ${listed.metadata?.deletedAt}, want 0`);
    },
  },
];
