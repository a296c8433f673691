// The public shapes of the controller runtime (level-based, keyed by object id).

/** What should happen after a successful reconcile. */
export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds (e.g. to poll a slow backend). */
  requeueAfterMs?: number;
}

/**
 * Reconciles one key: reads desired and actual state and acts. Must be safe to call again at any time.
 * Throwing retries the key with exponential back-off until it succeeds. A failure that retrying cannot fix
 * is the reconciler's to record (runtime-kit's object reconciler writes it to the object's status and
 * returns), so the controller has one notion of failure: retry.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a plain `async function` returning nothing (Promise<void>) is a Reconciler.
export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined | void>;

/** Time as the controller sees it; tests pass a FakeClock. */
export interface Clock {
  /** Milliseconds on a monotonic scale with an unspecified origin: only differences are meaningful. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BackoffOptions {
  /** First retry delay. Default 200 ms. */
  baseMs?: number;
  /** Cap on the delay before jitter is applied. Default 60 s. */
  maxMs?: number;
  /** Random spread as a fraction of the delay, 0..1. Default 0.2. */
  jitter?: number;
}

/** Something that enqueues keys: a store watch, a timer, a backend's event stream. */
export interface Source {
  /** Starts delivering; returns a function that stops it. */
  start(enqueue: (key: string) => void, enqueueAll: () => void): () => void;
}

/** Metrics and logging taps. Hooks should not throw; if one does, it becomes a process warning. */
export interface ControllerHooks {
  /** The number of keys waiting for a worker changed. */
  onQueueDepth?(depth: number): void;
  /**
   * A reconcile failed; the key is retried after delayMs (sooner if something enqueues it meanwhile).
   * `attempt` counts consecutive failures of the key, starting at 1.
   */
  onRetry?(key: string, error: unknown, attempt: number, delayMs: number): void;
  onReconciled?(key: string, durationMs: number, outcome: "success" | "error"): void;
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  /** Workers; at most this many different keys run at once. Default 2. */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Every key from listKeys is enqueued about this often (spread by resyncJitter). 0 disables. Default 0. */
  resyncPeriodMs?: number;
  /** Random spread of each resync period as a fraction, 0..1 (exclusive). Default 0.2. */
  resyncJitter?: number;
  /**
   * All keys that exist now; used by resync and by sources that ask for enqueueAll (which does nothing
   * without it). Include keys only the backend still knows, so their clean-up is reconciled too.
   */
  listKeys?: () => Iterable<string>;
  clock?: Clock;
  hooks?: ControllerHooks;
  /** Random in [0,1); tests may pin it. Default Math.random. */
  random?: () => number;
}
