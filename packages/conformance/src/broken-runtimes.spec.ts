// The suite against runtimes with one deliberate contract violation each: the case encoding the violated rule
// fails (with the other cases listed that depend on the same rule), everything else still passes, and the
// report counts exactly those failures.
import { describe, expect, it } from "vitest";
import { runConformance } from "./index.js";
import type { RuntimeKind } from "./subjects/subject.js";
import { FAST_TIMING } from "./testdata/fast-timing.js";
import type { Fault } from "./testdata/faults.js";
import { startReference } from "./testdata/serve-reference.js";

const BROKEN: { runtime: RuntimeKind; fault: Fault; fails: string[]; settleMs?: number }[] = [
  { runtime: "machine", fault: "version-name-with-scheme", fails: ["version/runtime-name"] },
  { runtime: "machine", fault: "version-rejects-junk", fails: ["version/accepts-any-request"] },
  // The repeated Deletes must reach the object while it still tears down (20 ms by default): a loaded host
  // can take longer between two calls, and a Delete after the removal rightly answers NotFound.
  {
    runtime: "volume",
    fault: "redelete-internal",
    fails: ["delete/repeated-delete-idempotent"],
    settleMs: 600,
  },
  {
    runtime: "bucket",
    fault: "status-omitted",
    fails: [
      "create/returns-complete-object",
      "list/objects-complete",
      "bucket/available-access-has-endpoint",
    ],
  },
  // Every lookup by id goes through filter.id, so waiting for a deleted object to vanish breaks as well.
  {
    runtime: "bucket",
    fault: "list-unknown-id-errors",
    fails: ["list/unknown-id-empty", "delete/object-disappears"],
  },
  { runtime: "volume", fault: "labels-drop-empty-values", fails: ["create/echoes-labels-and-annotations"] },
  { runtime: "bucket", fault: "created-at-seconds", fails: ["create/created-at-unix-nanoseconds"] },
  { runtime: "machine", fault: "volatile-status", fails: ["list/no-volatile-fields"] },
  {
    runtime: "volume",
    fault: "delete-unknown-internal",
    fails: ["delete/unknown-id-not-found", "volume/snapshot-delete-unknown-not-found"],
  },
  {
    runtime: "bucket",
    fault: "selector-empty-value-matches-absent",
    fails: ["list/label-selector-empty-value-matches-nothing", "events/label-selector"],
  },
  { runtime: "volume", fault: "events-window-ignored", fails: ["events/time-window"] },
  { runtime: "bucket", fault: "event-time-nanoseconds", fails: ["events/time-in-seconds"] },
  {
    runtime: "machine",
    fault: "duplicate-id-overwrites",
    fails: ["create/same-id-same-spec-returns-existing", "create/same-id-different-spec-already-exists"],
  },
  { runtime: "machine", fault: "annotations-merged", fails: ["machine/annotations-full-replace"] },
  {
    runtime: "machine",
    fault: "nic-ips-sorted",
    fails: [
      "machine/create-echoes-volumes-nics-guest-config",
      "machine/attach-nic-echoed",
      "machine/reattach-nic-same-name",
    ],
  },
  { runtime: "machine", fault: "power-off-stopped", fails: ["machine/state-never-stopped"] },
  {
    runtime: "machine",
    fault: "detach-deferred",
    fails: [
      "machine/detach-removes-at-once",
      "machine/reattach-volume-same-name",
      "machine/reattach-nic-same-name",
    ],
  },
  { runtime: "volume", fault: "expand-status-only", fails: ["volume/expand-grows"] },
  { runtime: "volume", fault: "snapshot-dangling", fails: ["volume/snapshot-unknown-volume-rejected"] },
];

// One at a time: the suite runs with tight timing, and 19 runs at once on 2 busy cores miss their deadlines.
describe("broken runtimes", () => {
  for (const { runtime, fault, fails, settleMs } of BROKEN) {
    it(`${runtime} with ${fault} fails ${fails[0]}`, async () => {
      const server = await startReference(runtime, { faults: [fault], ...(settleMs ? { settleMs } : {}) });
      try {
        const report = await runConformance({ runtime, address: server.address, ...FAST_TIMING });
        const failed = report.results.filter((r) => !r.ok);
        expect(failed.map((r) => r.name).sort()).toEqual([...fails].sort());
        for (const result of failed) expect(result.error).toMatch(/\S/);
        expect(report.failed).toBe(fails.length);
        expect(report.passed).toBe(report.results.length - fails.length);
      } finally {
        await server.close();
      }
    }, 60_000);
  }
});
