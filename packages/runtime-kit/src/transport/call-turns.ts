// Calls that change state take turns in time slices of the event loop, so that the control plane's cheap reads
// (Status, Version, List*Classes) are answered between slices instead of behind every create already queued.
// docs/decisions.md, "Durable creates and Status p99: scheduling and the load generator".

/** Loop time the queued calls may use per turn of the event loop before the loop polls its sockets again. */
export const CALL_SLICE_MS = 4;

/** Release immediates queued at most at once: bounds a loop turn's work for any number of waiting calls. */
const RELEASES_PER_TURN = 64;

/**
 * A FIFO of calls waiting for their turn. Each release runs in an immediate of its own (`setImmediate`): the
 * immediates of one check phase run one after another with the microtasks drained between them, so the clock
 * read before each release has seen the work the previous released call did before its first wait on I/O
 * (decoding, validation, the store's write planning). Once a slice has used `sliceMs`, the rest wait for the
 * next turn of the loop, whose poll phase reads and answers what arrived meanwhile. At most
 * `RELEASES_PER_TURN` immediates are queued, so that thousands of waiting calls do not cost a loop turn each.
 */
export class CallTurns {
  readonly #sliceMs: number;
  readonly #now: () => number;
  /** Waiting calls from `#head` on; the released ones before it are dropped in batches. */
  #waiting: (() => void)[] = [];
  #head = 0;
  /** Release immediates queued and not yet run. */
  #pending = 0;
  #sliceStart = 0;
  /** The slice of this turn is used up; an opener queued for the next turn starts a new one. */
  #closed = false;

  constructor(sliceMs = CALL_SLICE_MS, now: () => number = () => performance.now()) {
    this.#sliceMs = sliceMs;
    this.#now = now;
  }

  /** Calls waiting for their turn. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Resolves when the caller's turn comes, in the order the callers asked. */
  take(): Promise<void> {
    const turn = new Promise<void>((resolve) => this.#waiting.push(resolve));
    // Nothing queued: this call starts a slice of its own, opened in the next check phase.
    if (this.#pending === 0 && !this.#closed) setImmediate(this.#open);
    if (this.#pending < RELEASES_PER_TURN) this.#queueRelease();
    return turn;
  }

  readonly #open = (): void => {
    this.#closed = false;
    this.#sliceStart = this.#now();
  };

  readonly #release = (): void => {
    this.#pending--;
    if (this.#closed || this.#now() - this.#sliceStart >= this.#sliceMs) {
      if (!this.#closed) {
        this.#closed = true;
        // Queued before the deferred releases, so it runs first in the next check phase.
        setImmediate(this.#open);
      }
    } else {
      this.#next()();
    }
    // As many releases queued for the next turn as calls still wait, up to the bound.
    while (this.#pending < Math.min(this.waiting, RELEASES_PER_TURN)) this.#queueRelease();
  };

  #next(): () => void {
    const resolve = this.#waiting[this.#head++] as () => void;
    if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    return resolve;
  }

  #queueRelease(): void {
    this.#pending++;
    setImmediate(this.#release);
  }
}
