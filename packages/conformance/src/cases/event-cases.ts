// ListEvents: the poollets' event mappers poll every minute with a seconds time window and record each event on
// the Kubernetes object named by its involved-object labels.
import type { event } from "@iri/api";
import { check, expectOk } from "../check.js";
import type { CaseContext, ConformanceCase } from "../conformance-case.js";
import { matchesSelector } from "../string-maps.js";
import { nowSeconds, timestampProblem } from "../time-units.js";

const EVENT_TYPES = ["Normal", "Warning"];
const HOUR = 3600n;
// Events may be old (retention is bounded, not short), but never older than this.
const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);

/** Creates an object first, so a runtime that records events on create has something to report. */
async function provokeEvents(ctx: CaseContext) {
  return expectOk(ctx.create(await ctx.newObject()), "Create");
}

function describeEvent(e: event.Event): string {
  const spec = e.spec;
  return `event ${JSON.stringify(spec?.reason ?? "")} of ${spec?.involvedObjectMeta?.id ?? "(no involved object)"}`;
}

export const eventCases: ConformanceCase[] = [
  {
    name: "events/list-without-filter",
    rule: "ListEvents succeeds with no filter and with an empty filter.",
    async run(ctx) {
      await provokeEvents(ctx);
      await expectOk(ctx.subject.listEvents(), "ListEvents without filter");
      await expectOk(ctx.subject.listEvents({}), "ListEvents with an empty filter");
    },
  },
  {
    name: "events/complete",
    rule: "Every event has a non-nil spec and spec.involved_object_meta, and a Kubernetes type (Normal or Warning).",
    async run(ctx) {
      await provokeEvents(ctx);
      for (const e of await expectOk(ctx.subject.listEvents(), "ListEvents")) {
        check(e.spec !== undefined, "an event has a nil spec");
        check(
          e.spec.involvedObjectMeta !== undefined,
          () => `${describeEvent(e)} has a nil involved_object_meta`,
        );
        check(
          EVENT_TYPES.includes(e.spec.type),
          () => `${describeEvent(e)} has type ${JSON.stringify(e.spec?.type)}`,
        );
      }
    },
  },
  {
    name: "events/time-in-seconds",
    rule: "event_time is Unix seconds (the poollets send and compare seconds).",
    async run(ctx) {
      await provokeEvents(ctx);
      for (const e of await expectOk(ctx.subject.listEvents(), "ListEvents")) {
        const problem = timestampProblem(e.spec?.eventTime ?? 0n, "seconds", EARLIEST_EVENT_MS, Date.now());
        check(problem === undefined, () => `${describeEvent(e)}: event_time ${problem}`);
      }
    },
  },
  {
    name: "events/time-window",
    rule:
      "With both events_from_time and events_to_time > 0, only events inside the window (inclusive, seconds) " +
      "are returned.",
    async run(ctx) {
      await provokeEvents(ctx);
      const now = nowSeconds();
      const windows: [bigint, bigint][] = [
        [1n, 2n],
        [now + HOUR, now + 2n * HOUR],
        [now - HOUR, now + 60n],
      ];
      const all = await expectOk(ctx.subject.listEvents(), "ListEvents");
      const sample = all.find((e) => (e.spec?.eventTime ?? 0n) > 0n)?.spec?.eventTime;
      if (sample !== undefined) windows.push([sample, sample]);
      for (const [from, to] of windows) {
        const events = await expectOk(
          ctx.subject.listEvents({ fromSeconds: from, toSeconds: to }),
          `ListEvents with window [${from}, ${to}]`,
        );
        for (const e of events) {
          const t = e.spec?.eventTime ?? 0n;
          check(t >= from && t <= to, () => `window [${from}, ${to}] returned ${describeEvent(e)} at ${t}`);
        }
        if (from === sample) {
          check(
            events.length > 0,
            `window [${from}, ${to}] excludes the event at ${from} (bounds are inclusive)`,
          );
        }
      }
    },
  },
  {
    name: "events/window-needs-both-bounds",
    rule: "A time window applies only when both bounds are > 0; with one bound 0 no event is filtered out.",
    async run(ctx) {
      await provokeEvents(ctx);
      const now = nowSeconds();
      const before = await expectOk(ctx.subject.listEvents(), "ListEvents");
      const onlyFrom = await expectOk(
        ctx.subject.listEvents({ fromSeconds: now + HOUR, toSeconds: 0n }),
        "ListEvents with only events_from_time",
      );
      const onlyTo = await expectOk(
        ctx.subject.listEvents({ fromSeconds: 0n, toSeconds: 1n }),
        "ListEvents with only events_to_time",
      );
      const after = await expectOk(ctx.subject.listEvents(), "ListEvents");
      const least = Math.min(before.length, after.length);
      check(
        onlyFrom.length >= least,
        `only events_from_time set: ${onlyFrom.length} events, unfiltered ${least}`,
      );
      check(onlyTo.length >= least, `only events_to_time set: ${onlyTo.length} events, unfiltered ${least}`);
    },
  },
  {
    name: "events/label-selector",
    rule: "label_selector filters events on the involved object's labels (equality on every pair).",
    async run(ctx) {
      const created = await provokeEvents(ctx);
      const selector = created.metadata?.labels ?? {};
      const events = await expectOk(
        ctx.subject.listEvents({ labelSelector: selector }),
        "ListEvents with selector",
      );
      for (const e of events) {
        check(
          matchesSelector(e.spec?.involvedObjectMeta?.labels, selector),
          () => `selector ${JSON.stringify(selector)} returned ${describeEvent(e)} with other labels`,
        );
      }
      const absent = await expectOk(
        ctx.subject.listEvents({ labelSelector: { "conformance.iri.dev/absent": "" } }),
        "ListEvents with a selector no object matches",
      );
      check(absent.length === 0, `selector on an absent key returned ${absent.length} events`);
    },
  },
];
