import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  BackendContext,
  BackendLogger,
  BackgroundJobs,
  EventType,
  JobHandle,
  JobState,
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

/** Background jobs as the seam describes them: one run per key until forgotten. */
export class TestJobs implements BackgroundJobs {
  private readonly jobs = new Map<
    string,
    { state: JobState<unknown>; controller: AbortController; done: Promise<void> }
  >();

  ensure<T>(key: string, work: (job: JobHandle) => Promise<T>): JobState<T> {
    const existing = this.jobs.get(key);
    if (existing) return existing.state as JobState<T>;
    const controller = new AbortController();
    const entry = {
      state: { status: "running", progress: undefined } as JobState<unknown>,
      controller,
      done: Promise.resolve(),
    };
    this.jobs.set(key, entry);
    const handle: JobHandle = {
      signal: controller.signal,
      progress: (value) => {
        if (entry.state.status === "running") entry.state = { status: "running", progress: value };
      },
    };
    entry.done = work(handle).then(
      (value) => {
        entry.state = { status: "succeeded", value };
      },
      (error: unknown) => {
        entry.state = { status: "failed", error };
      },
    );
    return entry.state as JobState<T>;
  }

  get<T>(key: string): JobState<T> | undefined {
    return this.jobs.get(key)?.state as JobState<T> | undefined;
  }

  async run<T>(key: string, work: (job: JobHandle) => Promise<T>, _signal: AbortSignal): Promise<T> {
    this.ensure(key, work);
    await this.jobs.get(key)?.done;
    const state = this.jobs.get(key)?.state as JobState<T>;
    if (state.status === "succeeded") return state.value;
    throw state.status === "failed" ? state.error : new Error("job still running");
  }

  cancel(key: string): void {
    this.jobs.get(key)?.controller.abort(new Error(`job ${key} cancelled`));
  }

  forget(key: string): void {
    const entry = this.jobs.get(key);
    if (entry && entry.state.status !== "running") this.jobs.delete(key);
  }

  /** Resolves once every job started so far has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((entry) => entry.done));
  }
}

/** Everything logged, kept as JSON text so tests can look for what must never appear. */
export class CapturingLogger implements BackendLogger {
  constructor(
    readonly lines: string[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}
  private record(level: string, obj: object, msg?: string) {
    this.lines.push(JSON.stringify({ level, ...this.bindings, ...obj, msg }));
  }
  debug(obj: object, msg?: string) {
    this.record("debug", obj, msg);
  }
  info(obj: object, msg?: string) {
    this.record("info", obj, msg);
  }
  warn(obj: object, msg?: string) {
    this.record("warn", obj, msg);
  }
  error(obj: object, msg?: string) {
    this.record("error", obj, msg);
  }
  child(bindings: Record<string, unknown>): BackendLogger {
    return new CapturingLogger(this.lines, { ...this.bindings, ...bindings });
  }
}

export interface TestContext extends BackendContext {
  readonly events: RecordedEvent[];
  readonly notified: string[];
  readonly jobs: TestJobs;
  readonly logger: CapturingLogger;
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
  const logger = new CapturingLogger();
  const event = (objectId: string, type: EventType, reason: string, message: string) =>
    events.push({ objectId, type, reason, message });
  return {
    stateDir,
    logger,
    metrics: new Registry(),
    owner: { provider: "volume-provider", instanceId },
    event,
    notify: (id) => notified.push(id),
    jobs: new TestJobs(),
    events,
    notified,
    operation<O>(objectId: string, last: { observation?: O; placement?: Placement } = {}) {
      const reports: O[] = [];
      return {
        signal: new AbortController().signal,
        generation: 1n,
        lastObservation: last.observation,
        placement: last.placement,
        event: (type: EventType, reason: string, message: string) => event(objectId, type, reason, message),
        report: async (observation: O) => {
          reports.push(observation);
        },
        reports,
      };
    },
    async dispose() {
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
