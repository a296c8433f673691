import type { WatchEvent, WatchHandler } from "./types.js";

const DEFAULT_MAX_BACKLOG = 10_000;

/**
 * Delivers one subscriber's events in order, one at a time: an async handler gets the next event only after
 * its previous promise settled. A subscriber that falls behind by more than maxBacklog events gets one resync
 * in place of its backlog, so memory stays bounded and the gap is never silent.
 */
export class Watcher<Spec, Status> {
  // A queue with a moving head: shift() on a long array is linear.
  // Delivered slots are cleared (undefined) until the array is cut.
  private backlog: (WatchEvent<Spec, Status> | undefined)[] = [];
  private head = 0;
  private delivering = false;
  private stopped = false;
  private readonly maxBacklog: number;

  constructor(
    private readonly handler: WatchHandler<Spec, Status>,
    private readonly onError: (error: unknown) => void,
    maxBacklog: number | undefined,
  ) {
    this.maxBacklog = maxBacklog ?? DEFAULT_MAX_BACKLOG;
    if (!Number.isInteger(this.maxBacklog) || this.maxBacklog < 1) {
      throw new RangeError(`maxBacklog must be a positive integer, got ${maxBacklog}`);
    }
  }

  push(event: WatchEvent<Spec, Status>): void {
    if (this.stopped) return;
    if (this.backlog.length - this.head >= this.maxBacklog) {
      this.backlog = [{ type: "resync" }];
      this.head = 0;
    } else {
      this.backlog.push(event);
    }
    if (!this.delivering) {
      this.delivering = true;
      queueMicrotask(() => void this.deliver());
    }
  }

  stop(): void {
    this.stopped = true;
    this.backlog = [];
    this.head = 0;
  }

  private async deliver(): Promise<void> {
    while (!this.stopped && this.head < this.backlog.length) {
      const event = this.backlog[this.head] as WatchEvent<Spec, Status>;
      // A delivered event must not keep its records (and whatever they reference: a modified event's
      // previous record holds the List body it was encoded into) alive while the queue waits for more.
      this.backlog[this.head] = undefined;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.backlog.length) {
        this.backlog = this.backlog.slice(this.head);
        this.head = 0;
      }
      try {
        await this.handler(event);
      } catch (error) {
        this.report(error);
      }
    }
    this.backlog = [];
    this.head = 0;
    this.delivering = false;
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // The error reporter itself failed; nothing is left to tell, and delivery must go on.
    }
  }
}
