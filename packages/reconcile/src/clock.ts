import type { Clock } from "./types.js";

// Node turns a delay above this into 1 ms (with a warning); a far-off requeue must not become a hot loop.
const maxTimerDelayMs = 2 ** 31 - 1;

/** Real time: a monotonic millisecond scale (performance.now), so durations survive wall-clock steps. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(Math.max(ms, 0), maxTimerDelayMs)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * Manual time for tests. Nothing fires until `advance` is called; `advance` fires due timers in the order
 * of their due time (ties in the order they were set) and lets promise chains settle after each, so a test
 * can `await clock.advance(ms)` and then assert on everything that work caused.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private seq = 0;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.current + Math.max(ms, 0), seq: this.seq++, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === "number") this.timers.delete(handle);
  }

  /** Due times of the timers not yet fired, earliest first. */
  pendingTimers(): number[] {
    return [...this.timers.values()].sort(compareTimers).map((t) => t.at);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (including ones set meanwhile). */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(ms, 0);
    await this.flush();
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
      this.timers.delete(timer.id);
      this.current = timer.at;
      timer.callback();
      await this.flush();
    }
    this.current = target;
    await this.flush();
  }

  /**
   * Resolves once every microtask queued so far, and every microtask those queue, has run (a macrotask only
   * starts when the microtask queue is empty). Work waiting on real I/O is not covered.
   */
  flush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  private nextDue(target: number): FakeTimer | undefined {
    let next: FakeTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.at <= target && (!next || compareTimers(timer, next) < 0)) next = timer;
    }
    return next;
  }
}

function compareTimers(a: FakeTimer, b: FakeTimer): number {
  return a.at - b.at || a.seq - b.seq;
}
