import type { Registry } from "prom-client";

/** Kubernetes event types: the poollets copy provider events onto the Kubernetes object as they are. */
export type EventType = "Normal" | "Warning";

/** The logger a backend gets (pino's interface; every object logged is passed through secret redaction). */
export interface BackendLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): BackendLogger;
}

/**
 * Who owns what a backend creates. Every resource a backend makes carries `instanceId` (in a name prefix,
 * image metadata, a user tag, a pid file), so that two providers sharing a Ceph pool or an object store, or a
 * provider whose state directory was lost, never take each other's resources for orphans.
 */
export interface OwnerIdentity {
  /** e.g. "volume-provider". */
  readonly provider: string;
  /** Random, persisted with the provider's store; stable across restarts and upgrades. */
  readonly instanceId: string;
}

/**
 * De-duplicated background work, keyed by what it produces (e.g. "image sha256:…"): long operations (an image
 * pull, a population) run here instead of holding a reconcile worker.
 */
export interface BackgroundJobs {
  /**
   * Starts `work` under `key` unless a job with that key is running or has settled and not been forgotten;
   * returns the job's state at once.
   */
  ensure<T>(key: string, work: (job: JobHandle) => Promise<T>): JobState<T>;
  /** The job's state, or undefined when there is none. */
  get<T>(key: string): JobState<T> | undefined;
  /**
   * Waits for the job under `key` (started with `work` if there is none). Callers of one key share one run;
   * the run is aborted only when every waiting caller's signal has aborted.
   */
  run<T>(key: string, work: (job: JobHandle) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Aborts a running job; its state becomes failed. */
  cancel(key: string): void;
  /** Drops a settled job, so that the next `ensure` starts it again (e.g. to retry a failure). */
  forget(key: string): void;
}

export interface JobHandle {
  readonly signal: AbortSignal;
  /** Progress for whoever polls the job (e.g. bytes written); kept with its state. */
  progress(value: Readonly<Record<string, number | string>>): void;
}

export type JobState<T> =
  | { readonly status: "running"; readonly progress: Readonly<Record<string, number | string>> | undefined }
  | { readonly status: "succeeded"; readonly value: T }
  | { readonly status: "failed"; readonly error: unknown };

/** What every backend gets from the provider when it is opened. */
export interface BackendContext {
  /** A directory of the backend's own (created mode 0700), inside the provider's state directory. */
  readonly stateDir: string;
  readonly logger: BackendLogger;
  /** The provider's metrics registry; register the backend's own series here (prefix `iri_`). */
  readonly metrics: Registry;
  readonly owner: OwnerIdentity;
  /**
   * Records an event about an object by its id (the provider adds the object's labels, through which the
   * poollets find the Kubernetes object). Reasons are CamelCase; messages never carry a secret.
   */
  event(objectId: string, type: EventType, reason: string, message: string): void;
  /** Asks for a reconcile of an object whose actual state changed on its own (a guest powered off, a job ended). */
  notify(objectId: string): void;
  readonly jobs: BackgroundJobs;
}

/**
 * A backend package exports one factory: its name (the `--backend` value), its own settings (flags + env,
 * listed in the app's README), and `open`, which validates settings and reachability and resolves once the
 * backend can work. A failing `open` stops the provider at start with its message.
 */
export interface BackendFactory<Backend, Defs extends import("./settings.js").SettingDefinitions> {
  readonly name: string;
  readonly settings: Defs;
  open(settings: import("./settings.js").SettingValues<Defs>, context: BackendContext): Promise<Backend>;
}
