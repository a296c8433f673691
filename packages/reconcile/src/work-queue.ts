/**
 * The keys waiting for a worker, de-duplicated, in arrival order. A key is handed out to one worker at a
 * time: adding a key that is being processed marks it dirty, and `done` puts a dirty key back in line, so a
 * change that arrives mid-reconcile is always seen by a later reconcile.
 */
export class WorkQueue {
  private ready: (string | undefined)[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();

  /** Keys waiting for a worker (not counting dirty keys still being processed). */
  get length(): number {
    return this.queued.size;
  }

  add(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
    } else if (!this.queued.has(key)) {
      this.queued.add(key);
      this.ready.push(key);
    }
  }

  /** True if the key will be processed without waiting for a timer. */
  isDue(key: string): boolean {
    return this.queued.has(key) || this.dirty.has(key);
  }

  /** The next key to process, now marked as processing; undefined if none waits. */
  take(): string | undefined {
    const key = this.ready[this.head];
    if (key === undefined) return undefined;
    this.ready[this.head++] = undefined;
    // Drop the consumed prefix now and then so a long-lived queue does not grow without bound.
    if (this.head >= 1024 && this.head * 2 >= this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Forgets every waiting key; keys being processed stay marked until `done`. */
  clear(): void {
    this.ready = [];
    this.head = 0;
    this.queued.clear();
    this.dirty.clear();
  }
}
