import { backoffDelay, defaultBackoff } from "./backoff.js";
import { systemClock } from "./clock.js";
import type {
  BackoffOptions,
  Clock,
  ControllerHooks,
  ControllerOptions,
  ReconcileResult,
  Reconciler,
  Source,
} from "./types.js";
import { WorkQueue } from "./work-queue.js";

type Outcome = "success" | "error";

interface DelayedKey {
  readonly at: number;
  readonly handle: unknown;
}

/**
 * Runs a reconciler over keys. Keys come from sources (or enqueue calls) and wait in a de-duplicating queue;
 * `concurrency` workers take them, never two on one key. The reconciler's result decides what happens next:
 * nothing, a requeue after a delay, or (on error) a retry with exponential back-off until it succeeds.
 */
export class Controller {
  readonly name: string;
  private readonly reconcile: Reconciler;
  private readonly concurrency: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly resyncPeriodMs: number;
  private readonly resyncJitter: number;
  private readonly listKeys: (() => Iterable<string>) | undefined;
  private readonly clock: Clock;
  private readonly hooks: ControllerHooks;
  private readonly random: () => number;

  private state: "new" | "running" | "stopped" = "new";
  private readonly queue = new WorkQueue();
  private readonly delayed = new Map<string, DelayedKey>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sources: Source[] = [];
  private readonly sourceStops: (() => void)[] = [];
  private readonly abort = new AbortController();
  private resyncTimer: unknown;
  private dispatchScheduled = false;
  private reportedDepth = 0;
  private stopped: Promise<void> | undefined;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.reconcile = options.reconcile;
    this.concurrency = options.concurrency ?? 2;
    this.backoff = { ...defaultBackoff, ...definedOnly(options.backoff) };
    this.resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.resyncJitter = options.resyncJitter ?? 0.2;
    this.listKeys = options.listKeys;
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.random = options.random ?? Math.random;

    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`controller ${this.name}: concurrency must be a positive integer`);
    }
    const { baseMs, maxMs, jitter } = this.backoff;
    if (!(baseMs > 0 && maxMs >= baseMs && jitter >= 0 && jitter <= 1)) {
      throw new RangeError(`controller ${this.name}: backoff needs 0 < baseMs <= maxMs and 0 <= jitter <= 1`);
    }
    if (!(this.resyncJitter >= 0 && this.resyncJitter < 1)) {
      throw new RangeError(`controller ${this.name}: resyncJitter must be in [0, 1)`);
    }
    if (!(this.resyncPeriodMs >= 0)) {
      throw new RangeError(`controller ${this.name}: resyncPeriodMs must be >= 0`);
    }
    if (this.resyncPeriodMs > 0 && !this.listKeys) {
      throw new RangeError(`controller ${this.name}: resyncPeriodMs needs listKeys`);
    }
  }

  /** Starts the sources added so far, the resync timer and the workers. A controller starts once. */
  start(): void {
    if (this.state !== "new") throw new Error(`controller ${this.name} was already started`);
    this.state = "running";
    for (const source of this.sources) this.startSource(source);
    if (this.resyncPeriodMs > 0) this.scheduleResync();
    this.scheduleDispatch();
  }

  /** Adds a source; it starts now if the controller runs, else with `start`. */
  addSource(source: Source): void {
    if (this.state === "stopped") return;
    this.sources.push(source);
    if (this.state === "running") this.startSource(source);
  }

  /**
   * Queues the key for a reconcile as soon as a worker is free. A key already waiting is not queued twice;
   * a key being reconciled now is reconciled again afterwards. Replaces a pending delayed enqueue of the key.
   * Keys enqueued before `start` wait for it; after `stop` this does nothing.
   */
  enqueue(key: string): void {
    if (this.state === "stopped") return;
    this.cancelDelayed(key);
    this.queue.add(key);
    this.settle();
  }

  /**
   * Queues the key after `ms`. If the key is already due sooner (queued, or delayed less), the sooner one
   * stands; otherwise this replaces the pending delay. `ms <= 0` is `enqueue`.
   */
  enqueueAfter(key: string, ms: number): void {
    if (this.state === "stopped") return;
    if (!(ms > 0)) {
      this.enqueue(key);
      return;
    }
    if (this.queue.isDue(key)) return;
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    this.cancelDelayed(key);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.enqueue(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /**
   * Queues every key from `listKeys` (nothing without it). A key waiting on a timer (a back-off or a
   * requested requeue) keeps waiting: a resync must not undo the back-off of a failing key.
   */
  enqueueAll(): void {
    if (this.state === "stopped" || !this.listKeys) return;
    for (const key of this.listKeys()) {
      if (!this.delayed.has(key)) this.queue.add(key);
    }
    this.settle();
  }

  /** Keys waiting for a worker; keys being reconciled and keys waiting on a timer are not counted. */
  depth(): number {
    return this.queue.length;
  }

  /**
   * Stops sources and timers, drops waiting keys, aborts the signal of running reconciles and resolves once
   * they have returned. Retries and requeues they ask for are dropped. Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.state = "stopped";
    for (const stopSource of this.sourceStops.splice(0)) this.guard("stopping a source", stopSource);
    for (const key of [...this.delayed.keys()]) this.cancelDelayed(key);
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.queue.clear();
    this.reportDepth();
    this.abort.abort();
    this.stopped = Promise.all(this.inFlight).then(() => undefined);
    return this.stopped;
  }

  private startSource(source: Source): void {
    const stop = source.start(
      (key) => this.enqueue(key),
      () => this.enqueueAll(),
    );
    this.sourceStops.push(stop);
  }

  // Each period is spread by ±resyncJitter, so that controllers (and providers) started together do not
  // resync in lock-step.
  private scheduleResync(): void {
    const spread = 1 + this.resyncJitter * (2 * this.random() - 1);
    this.resyncTimer = this.clock.setTimeout(() => {
      // Re-armed first so a listKeys that throws does not end the periodic resync.
      this.scheduleResync();
      this.guard("resync", () => this.enqueueAll());
    }, this.resyncPeriodMs * spread);
  }

  private cancelDelayed(key: string): void {
    const delayed = this.delayed.get(key);
    if (!delayed) return;
    this.clock.clearTimeout(delayed.handle);
    this.delayed.delete(key);
  }

  private settle(): void {
    this.reportDepth();
    this.scheduleDispatch();
  }

  // Workers start in a microtask, not inside enqueue: a source's callback never runs reconciler code
  // re-entrantly, and a burst of enqueues is de-duplicated before any worker takes a key.
  private scheduleDispatch(): void {
    if (this.dispatchScheduled || this.state !== "running") return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.state === "running" && this.inFlight.size < this.concurrency) {
      const key = this.queue.take();
      if (key === undefined) break;
      const run = this.process(key).finally(() => {
        this.inFlight.delete(run);
        this.scheduleDispatch();
      });
      this.inFlight.add(run);
    }
    this.reportDepth();
  }

  private async process(key: string): Promise<void> {
    const started = this.clock.now();
    let outcome: Outcome;
    let result: ReconcileResult | undefined;
    let error: unknown;
    try {
      result = (await this.reconcile(key, this.abort.signal)) ?? undefined;
      outcome = "success";
    } catch (thrown) {
      error = thrown;
      outcome = "error";
    }
    this.queue.done(key);
    this.guard("onReconciled", () => this.hooks.onReconciled?.(key, this.clock.now() - started, outcome));
    if (this.state === "running") this.next(key, outcome, result, error);
    this.reportDepth();
  }

  private next(key: string, outcome: Outcome, result: ReconcileResult | undefined, error: unknown): void {
    switch (outcome) {
      case "success":
        this.failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.enqueueAfter(key, result.requeueAfterMs);
        return;
      case "error": {
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        const delayMs = backoffDelay(attempt, this.backoff, this.random);
        this.guard("onRetry", () => this.hooks.onRetry?.(key, error, attempt, delayMs));
        this.enqueueAfter(key, delayMs);
        return;
      }
    }
  }

  private reportDepth(): void {
    const depth = this.queue.length;
    if (depth === this.reportedDepth) return;
    this.reportedDepth = depth;
    this.guard("onQueueDepth", () => this.hooks.onQueueDepth?.(depth));
  }

  // A failing hook or source must not wedge the queue or crash the process from a timer; it is reported
  // as a process warning instead.
  private guard(what: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      process.emitWarning(`controller ${this.name}: ${what} threw: ${String(error)}`);
    }
  }
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
