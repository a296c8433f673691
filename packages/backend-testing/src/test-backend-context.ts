import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  BackendContext,
  BackendLogger,
  EventType,
  ObjectRef,
  OperationContext,
  OwnerIdentity,
  Placement,
} from "@iri/backend-api";
import { createLogger, KitBackgroundJobs } from "@iri/runtime-kit";
import { Registry } from "prom-client";

export interface RecordedEvent {
  readonly objectId: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export interface TestContextOptions {
  /** The provider the backend belongs to, e.g. "volume-provider". */
  readonly provider: string;
  /** Default: a random one, so that parallel tests never take each other's resources for their own. */
  readonly instanceId?: string;
}

/** What an operation context starts from: the object as the provider's store last knew it. */
export interface LastKnown<Observation> {
  readonly observation?: Observation;
  readonly placement?: Placement;
  readonly generation?: bigint;
  readonly signal?: AbortSignal;
}

/**
 * The context a provider opens a backend with, built from the provider's own parts (the kit's redacting logger
 * and de-duplicating background jobs), so that a backend's tests see what production sees. It records every
 * event, reconcile request and log line for assertions.
 */
export class TestBackendContext implements BackendContext {
  /** Short, so that unix sockets under it stay within 107 bytes. */
  readonly stateDir = mkdtempSync(join(tmpdir(), "iri-test-"));
  /** Replaced by restart(), as a new provider process has a registry and jobs of its own. */
  metrics = new Registry();
  jobs = new KitBackgroundJobs();
  readonly owner: OwnerIdentity;
  readonly events: RecordedEvent[] = [];
  readonly notified: string[] = [];
  /** Every line the backend logged, after the kit's secret redaction. */
  readonly logLines: string[] = [];
  readonly logger: BackendLogger = createLogger({
    level: "debug",
    destination: { write: (line: string) => this.logLines.push(line) },
  });

  constructor(options: TestContextOptions) {
    this.owner = {
      provider: options.provider,
      instanceId: options.instanceId ?? `test${Math.random().toString(36).slice(2, 10)}`,
    };
  }

  event(objectId: string, type: EventType, reason: string, message: string): void {
    this.events.push({ objectId, type, reason, message });
  }

  notify(objectId: string): void {
    this.notified.push(objectId);
  }

  eventsOf(objectId: string): RecordedEvent[] {
    return this.events.filter((e) => e.objectId === objectId);
  }

  reasons(objectId: string): string[] {
    return this.eventsOf(objectId).map((e) => e.reason);
  }

  /** The context of one apply call for `objectId`, the way the reconciler builds it; `reports` records report(). */
  operation<Observation>(
    objectId: string,
    last: LastKnown<Observation> = {},
  ): OperationContext<Observation> & { readonly reports: Observation[] } {
    const reports: Observation[] = [];
    return {
      signal: last.signal ?? new AbortController().signal,
      generation: last.generation ?? 1n,
      lastObservation: last.observation,
      placement: last.placement,
      tag: TEST_CREATION_TAG,
      event: (type, reason, message) => this.event(objectId, type, reason, message),
      report: async (observation) => {
        reports.push(observation);
      },
      reports,
    };
  }

  /** What remove and the orphan pass get for `objectId`. */
  ref(
    objectId: string,
    placement?: Placement,
    signal: AbortSignal = new AbortController().signal,
  ): ObjectRef {
    return {
      id: objectId,
      placement,
      signal,
      event: (type, reason, message) => this.event(objectId, type, reason, message),
    };
  }

  /**
   * The provider restarted (after the backend was closed): fresh metrics and background jobs, the same state
   * directory, owner and recordings. Open the backend again on this context afterwards.
   */
  async restart(): Promise<void> {
    await this.jobs.close();
    this.jobs = new KitBackgroundJobs();
    this.metrics = new Registry();
  }

  /** Stops running jobs and removes the state directory (after the backend removed its objects and closed). */
  async dispose(): Promise<void> {
    await this.jobs.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** The creation tag every operation context of the harness hands out. */
export const TEST_CREATION_TAG = { lineage: "test", generation: 1 } as const;
