import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  ApplyOutcome,
  BackendContext,
  BackendLogger,
  BucketBackend,
  BucketClassConfig,
  BucketObservation,
  EventType,
  Placement,
  RemoveOutcome,
} from "@iri/backend-api";
import { Registry } from "prom-client";

export interface RecordedEvent {
  readonly objectId: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** A BackendContext that records what the backend says, as the provider would receive it. */
export class TestContext {
  readonly events: RecordedEvent[] = [];
  readonly logLines: string[] = [];
  readonly stateDir = mkdtempSync(join(tmpdir(), "bucket-s3-test-"));
  readonly context: BackendContext;

  constructor(readonly instanceId: string) {
    const logger: BackendLogger = {
      debug: (obj, msg) => this.logLines.push(JSON.stringify({ obj, msg })),
      info: (obj, msg) => this.logLines.push(JSON.stringify({ obj, msg })),
      warn: (obj, msg) => this.logLines.push(JSON.stringify({ obj, msg })),
      error: (obj, msg) => this.logLines.push(JSON.stringify({ obj, msg })),
      child: () => logger,
    };
    this.context = {
      stateDir: this.stateDir,
      logger,
      metrics: new Registry(),
      owner: { provider: "bucket-provider", instanceId },
      event: (objectId, type, reason, message) => this.events.push({ objectId, type, reason, message }),
      notify: () => {},
      jobs: {
        ensure: () => {
          throw new Error("bucket backends run no background jobs");
        },
        get: () => undefined,
        run: () => Promise.reject(new Error("bucket backends run no background jobs")),
        cancel: () => {},
        forget: () => {},
      },
    };
  }

  eventsOf(objectId: string): RecordedEvent[] {
    return this.events.filter((e) => e.objectId === objectId);
  }

  dispose(): void {
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

interface StoredObject {
  placement: Placement | undefined;
  lastObservation: BucketObservation | undefined;
  generation: bigint;
}

/**
 * Calls a backend the way the provider's reconciler does: keeps each object's placement and last
 * observation and hands them back on every later call.
 */
export class ReconcilerDouble {
  private readonly records = new Map<string, StoredObject>();

  constructor(
    private backend: BucketBackend,
    private readonly ctx: TestContext,
  ) {}

  /** The provider restarted: the same records, a backend opened anew. */
  restartWith(backend: BucketBackend): void {
    this.backend = backend;
  }

  async apply(
    id: string,
    cls: BucketClassConfig,
    signal = new AbortController().signal,
  ): Promise<ApplyOutcome<BucketObservation>> {
    const record = this.records.get(id) ?? {
      placement: undefined,
      lastObservation: undefined,
      generation: 1n,
    };
    this.records.set(id, record);
    const outcome = await this.backend.apply(
      { id, labels: {}, class: cls },
      {
        signal,
        generation: record.generation,
        lastObservation: record.lastObservation,
        placement: record.placement,
        tag: { lineage: "test", generation: 1 },
        event: (type, reason, message) => this.ctx.context.event(id, type, reason, message),
        report: async (observation) => {
          record.lastObservation = observation;
        },
      },
    );
    record.lastObservation = outcome.observation;
    if (outcome.placement && !record.placement) record.placement = outcome.placement;
    return outcome;
  }

  async remove(id: string, signal = new AbortController().signal): Promise<RemoveOutcome> {
    const outcome = await this.backend.remove({
      id,
      placement: this.records.get(id)?.placement,
      signal,
      event: (type, reason, message) => this.ctx.context.event(id, type, reason, message),
    });
    if (outcome === undefined) this.records.delete(id);
    return outcome;
  }

  placementOf(id: string): Placement | undefined {
    return this.records.get(id)?.placement;
  }
}

export function bucketClass(
  name: string,
  settings: Readonly<Record<string, unknown>> = {},
): BucketClassConfig {
  return { name, tps: 100n, iops: 10n, settings };
}

export function requireEnv(names: readonly string[], hint: string): Record<string, string> {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} not set: these tests need real services (${hint})`);
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n] as string]));
}
