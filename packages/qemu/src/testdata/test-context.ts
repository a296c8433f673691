import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  BackendContext,
  BackendLogger,
  BackgroundJobs,
  EventType,
  JobState,
  MachineObservation,
  ObjectRef,
  OperationContext,
  Placement,
} from "@iri/backend-api";
import { Registry } from "prom-client";

export interface RecordedEvent {
  readonly objectId: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

const silentLogger: BackendLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** In-memory background jobs with the semantics of the provider's (de-duplicated by key, settled until forgotten). */
class TestJobs implements BackgroundJobs {
  private readonly states = new Map<string, JobState<unknown>>();

  ensure<T>(key: string, work: (job: { signal: AbortSignal; progress(): void }) => Promise<T>): JobState<T> {
    const existing = this.states.get(key);
    if (existing) return existing as JobState<T>;
    this.states.set(key, { status: "running", progress: undefined });
    work({ signal: new AbortController().signal, progress() {} }).then(
      (value) => this.states.set(key, { status: "succeeded", value }),
      (error: unknown) => this.states.set(key, { status: "failed", error }),
    );
    return this.states.get(key) as JobState<T>;
  }
  get<T>(key: string): JobState<T> | undefined {
    return this.states.get(key) as JobState<T> | undefined;
  }
  async run<T>(
    _key: string,
    work: (job: { signal: AbortSignal; progress(): void }) => Promise<T>,
  ): Promise<T> {
    return work({ signal: new AbortController().signal, progress() {} });
  }
  cancel(): void {}
  forget(key: string): void {
    this.states.delete(key);
  }
}

/** A BackendContext like the provider's, recording events and notifications for assertions. */
export class TestBackendContext implements BackendContext {
  readonly logger = silentLogger;
  readonly metrics = new Registry();
  readonly jobs = new TestJobs();
  readonly events: RecordedEvent[] = [];
  readonly notified: string[] = [];

  constructor(
    readonly stateDir: string,
    readonly owner = {
      provider: "machine-provider",
      instanceId: `test-${Math.random().toString(36).slice(2, 10)}`,
    },
  ) {}

  static async create(): Promise<TestBackendContext> {
    return new TestBackendContext(await mkdtemp(join(tmpdir(), "iri-qemu-")));
  }

  /** Removes the state directory (after the backend removed its machines and closed). */
  async cleanup(): Promise<void> {
    await rm(this.stateDir, { recursive: true, force: true });
  }

  event(objectId: string, type: EventType, reason: string, message: string): void {
    this.events.push({ objectId, type, reason, message });
  }

  notify(objectId: string): void {
    this.notified.push(objectId);
  }

  reasons(objectId: string): string[] {
    return this.events.filter((e) => e.objectId === objectId).map((e) => e.reason);
  }

  operation(
    id: string,
    last?: MachineObservation,
    placement?: Placement,
  ): OperationContext<MachineObservation> {
    return {
      signal: new AbortController().signal,
      generation: 1n,
      lastObservation: last,
      placement,
      tag: { lineage: "test", generation: 1 },
      event: (type, reason, message) => this.event(id, type, reason, message),
      report: async () => {},
    };
  }

  ref(id: string): ObjectRef {
    return {
      id,
      placement: undefined,
      signal: new AbortController().signal,
      event: (type, reason, message) => this.event(id, type, reason, message),
    };
  }
}
