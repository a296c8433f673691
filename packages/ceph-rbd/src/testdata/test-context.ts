import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BackendContext, EventType, OperationContext, Placement } from "@iri/backend-api";
import { createBackendContext, createLogger, KitBackgroundJobs } from "@iri/runtime-kit";
import { Registry } from "prom-client";

export interface RecordedEvent {
  readonly objectId: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export interface TestContext extends BackendContext {
  readonly events: RecordedEvent[];
  readonly notified: string[];
  readonly jobs: KitBackgroundJobs;
  /** Every line the backend logged (the kit's redacting pino logger, at debug level). */
  readonly logLines: string[];
  /** An operation context for one apply/remove call of `objectId`, the way the reconciler builds it. */
  operation<O>(
    objectId: string,
    last?: { observation?: O; placement?: Placement },
  ): OperationContext<O> & { reports: O[] };
  dispose(): Promise<void>;
}

export async function createTestContext(instanceId: string): Promise<TestContext> {
  const stateDir = await mkdtemp(join(tmpdir(), "iri-ceph-rbd-test-"));
  const events: RecordedEvent[] = [];
  const notified: string[] = [];
  const logLines: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => logLines.push(line) },
  });
  const event = (objectId: string, type: EventType, reason: string, message: string) => {
    events.push({ objectId, type, reason, message });
  };
  const base = createBackendContext({
    stateDir,
    logger,
    metrics: new Registry(),
    owner: { provider: "volume-provider", instanceId },
    jobs: new KitBackgroundJobs(),
    sinks: { event, notify: (id) => notified.push(id) },
  });
  return {
    ...base,
    logLines,
    jobs: base.jobs as KitBackgroundJobs,
    events,
    notified,
    operation<O>(objectId: string, last: { observation?: O; placement?: Placement } = {}) {
      const reports: O[] = [];
      return {
        signal: new AbortController().signal,
        generation: 1n,
        lastObservation: last.observation,
        placement: last.placement,
        tag: { lineage: "test", generation: 1 },
        event: (type: EventType, reason: string, message: string) => event(objectId, type, reason, message),
        report: async (observation: O) => {
          reports.push(observation);
        },
        reports,
      };
    },
    async dispose() {
      await (base.jobs as KitBackgroundJobs).close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
