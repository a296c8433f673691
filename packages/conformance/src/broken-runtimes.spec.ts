// The suite against runtimes with one deliberate contract violation each: the case encoding the violated rule
// must fail, and the report must count it.
import { describe, expect, it } from "vitest";
import { runConformance } from "./index.js";
import { FAST_TIMING } from "./reference-runtimes.spec.js";
import type { RuntimeKind } from "./subjects/subject.js";
import type { Fault } from "./testdata/faults.js";
import { startReference } from "./testdata/serve-reference.js";

const BROKEN: { runtime: RuntimeKind; fault: Fault; fails: string }[] = [
  { runtime: "machine", fault: "version-name-with-scheme", fails: "version/runtime-name" },
  { runtime: "bucket", fault: "list-unknown-id-errors", fails: "list/unknown-id-empty" },
  { runtime: "volume", fault: "labels-drop-empty-values", fails: "create/echoes-labels-and-annotations" },
  { runtime: "bucket", fault: "created-at-seconds", fails: "create/created-at-unix-nanoseconds" },
  { runtime: "machine", fault: "volatile-status", fails: "list/no-volatile-fields" },
  { runtime: "volume", fault: "delete-unknown-internal", fails: "delete/unknown-id-not-found" },
  { runtime: "bucket", fault: "selector-empty-value-matches-absent", fails: "list/label-selector-empty-value-matches-nothing" },
  { runtime: "volume", fault: "events-window-ignored", fails: "events/time-window" },
  { runtime: "bucket", fault: "event-time-nanoseconds", fails: "events/time-in-seconds" },
  { runtime: "machine", fault: "duplicate-id-overwrites", fails: "create/same-id-different-spec-already-exists" },
  { runtime: "machine", fault: "annotations-merged", fails: "machine/annotations-full-replace" },
  { runtime: "machine", fault: "nic-ips-sorted", fails: "machine/create-echoes-volumes-nics-guest-config" },
  { runtime: "machine", fault: "power-off-stopped", fails: "machine/state-never-stopped" },
  { runtime: "machine", fault: "detach-deferred", fails: "machine/reattach-nic-same-name" },
  { runtime: "volume", fault: "expand-status-only", fails: "volume/expand-grows" },
  { runtime: "volume", fault: "snapshot-dangling", fails: "volume/snapshot-unknown-volume-rejected" },
];

describe.concurrent("broken runtimes", () => {
  for (const { runtime, fault, fails } of BROKEN) {
    it(`${runtime} with ${fault} fails ${fails}`, async () => {
      const server = await startReference(runtime, { faults: [fault] });
      try {
        const report = await runConformance({ runtime, address: server.address, ...FAST_TIMING });
        const failedNames = report.results.filter((r) => !r.ok).map((r) => r.name);
        console.log(fault, JSON.stringify(report.results.filter((r) => !r.ok)));
        expect(failedNames).toContain(fails);
        expect(report.results.find((r) => r.name === fails)?.error).toBeTruthy();
        expect(report.failed).toBe(failedNames.length);
        expect(report.passed + report.failed).toBe(report.results.length);
      } finally {
        await server.close();
      }
    });
  }
});
