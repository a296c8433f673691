import { SqliteCollection, type WriteQueue } from "./collection.js";
import { RecentValues } from "./encoded-record.js";
import { StoreError } from "./errors.js";
import { SqliteFile, type ValueRow } from "./sqlite-file.js";
import type {
  Collection,
  CollectionOptions,
  DatabaseOptions,
  DatabaseStats,
  SqliteDatabase,
} from "./types.js";
import { WriteBatch } from "./write-batch.js";

// Writes per transaction. Planning and writing a commit into the WAL run on the event loop (better-sqlite3
// is synchronous; the fsync is not), so a burst is cut into transactions of this size with a loop turn in
// between, where reads and requests are served; at about 1,000 writes per fsync the cost of cutting is
// negligible.
const MAX_BATCH = 1000;

// Writes applied to memory and settled per loop turn once their commit is durable. Settling a write runs its
// caller's continuation (a create's response, the watchers' reconciles) in the same turn: a commit of 64
// creates settled at once is one turn of 64 continuations (tens of ms at ~1 ms of CPU each), and a Status
// call that arrived meanwhile waits for all of them. Between slices the loop reads the sockets again.
const SETTLE_SLICE = 16;

// Spec and status values kept decoded, across collections (encoded-record.ts): the records in motion (64
// callers creating, their reconciles and events) fit many times over; about 5 MB of decoded machines.
const RECENT_VALUES = 2048;

// Group commits between two checkpoints (sqlite-file.ts): each checkpoint costs an fsync of the database
// before the next commit, and bounds the WAL (a few MB at 64 creating callers) that a restart replays.
const CHECKPOINT_COMMITS = 32;

interface PendingWrite {
  plan: (batch: WriteBatch) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Opens (creating if needed) the database file at `path`, taking an exclusive lock on it: a second opener,
 * in this process or another, fails with a StoreError until this one is closed.
 */
export function openDatabase(options: DatabaseOptions): SqliteDatabase {
  return new StoreDatabase(options);
}

class StoreDatabase implements SqliteDatabase, WriteQueue {
  private readonly file: SqliteFile;
  private readonly collections = new Map<string, SqliteCollection<unknown, unknown>>();
  private readonly clock: () => bigint;
  private version: bigint;
  private readonly queue: PendingWrite[] = [];
  private readonly recent = new RecentValues(RECENT_VALUES);
  private flushScheduled = false;
  /** A group commit waits for its fsync (or a checkpoint for its own); the next one starts after. */
  private syncing = false;
  /** The fsync or checkpoint in flight, for close(). */
  private inFlight: Promise<unknown> = Promise.resolve();
  private commitsSinceCheckpoint = 0;
  /** Set when an fsync failed: every later write is refused. */
  private failure: StoreError | undefined;
  private writes = 0;
  private operations = 0;
  private closing: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;

  constructor(options: DatabaseOptions) {
    this.file = new SqliteFile(options.path);
    this.version = this.file.committedVersion;
    this.clock = options.now ?? wallClockNanos;
  }

  collection<Spec, Status>(name: string, options: CollectionOptions<Spec, Status>): Collection<Spec, Status> {
    if (this.closing !== undefined) throw new StoreError("Unavailable", "database is closed");
    if (name === "") throw new TypeError("collection name must not be empty");
    // Two instances would each keep their own in-memory index and drift apart.
    if (this.collections.has(name)) throw new StoreError("Unavailable", `collection ${name} is already open`);
    const collection = new SqliteCollection<Spec, Status>(
      name,
      options.kind ?? name,
      options,
      this,
      this.recent,
      this.file.loadCollection(name),
    );
    this.collections.set(name, collection as SqliteCollection<unknown, unknown>);
    return collection;
  }

  reencodeAtRest(): number {
    if (this.closing !== undefined) throw new StoreError("Unavailable", "database is closed");
    const rows: ValueRow[] = [];
    for (const [name, collection] of this.collections) {
      for (const stored of this.file.loadCollection(name)) {
        const fresh = collection.encodeValues(stored.id);
        // Gone from memory: a removal is committed but not yet applied; nothing to rewrite.
        if (fresh === undefined) continue;
        if (
          Buffer.compare(fresh.spec, stored.spec) !== 0 ||
          Buffer.compare(fresh.status, stored.status) !== 0
        )
          rows.push({ collection: name, id: stored.id, ...fresh });
      }
    }
    this.file.rewriteValues(rows);
    return rows.length;
  }

  stats(): DatabaseStats {
    return {
      commits: this.file.counters.commits,
      writes: this.writes,
      statements: this.file.counters.statements,
    };
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const finish = () => {
        void this.inFlight.finally(() => {
          this.file.close();
          resolve();
        });
      };
      if (this.operations === 0) finish();
      else this.onIdle = finish;
    });
    return this.closing;
  }

  now(): bigint {
    return this.clock();
  }

  async track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw new StoreError("Unavailable", "database is closed");
    this.operations += 1;
    try {
      return await operation();
    } finally {
      this.operations -= 1;
      if (this.operations === 0) this.onIdle?.();
    }
  }

  write<T>(plan: (batch: WriteBatch) => T): Promise<T> {
    // Only track()ed operations write, and close() waits for them, so the file is still open here.
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ plan, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    // One group commit at a time: writes arriving while a commit waits for its fsync join the next one, so
    // the slower the disk, the larger the batch.
    if (this.flushScheduled || this.syncing) return;
    this.flushScheduled = true;
    // setImmediate rather than a microtask: writes issued by every callback of this loop turn, not only by
    // the current synchronous run, join the batch.
    setImmediate(() => this.flush());
  }

  /**
   * Plans every queued write and commits them in one transaction; once the WAL is fsync'd (off the event
   * loop), updates memory and settles in order. Memory never shows a write that is not durable.
   */
  private flush(): void {
    this.flushScheduled = false;
    const pending = this.queue.splice(0, MAX_BATCH);
    if (this.failure !== undefined) {
      for (const write of [...pending, ...this.queue.splice(0)]) write.reject(this.failure);
      return;
    }
    const batch = new WriteBatch(this.version);
    // The steps of write i are batch.steps[stepEnds[i - 1] ?? 0, stepEnds[i]).
    const stepEnds: number[] = [];
    const outcomes = pending.map((write) => {
      try {
        return { ok: true as const, value: write.plan(batch) };
      } catch (error) {
        // A refused write (NotFound, Conflict, a codec error) fails alone; the batch goes on.
        return { ok: false as const, error };
      } finally {
        stepEnds.push(batch.steps.length);
      }
    });
    const settleOne = (i: number) => {
      const outcome = outcomes[i];
      const write = pending[i] as PendingWrite;
      if (outcome?.ok) {
        this.writes += 1;
        write.resolve(outcome.value);
      } else {
        write.reject(outcome?.error);
      }
    };
    if (batch.steps.length === 0) {
      for (let i = 0; i < pending.length; i++) settleOne(i);
      if (this.queue.length > 0) this.scheduleFlush();
      return;
    }
    try {
      this.file.commit(batch.steps, batch.version);
    } catch (cause) {
      const error = new StoreError("Unavailable", `commit failed: ${(cause as Error).message}`, { cause });
      pending.forEach((write, i) => {
        const outcome = outcomes[i];
        write.reject(outcome?.ok === false ? outcome.error : error);
      });
      if (this.queue.length > 0) this.scheduleFlush();
      return;
    }
    this.syncing = true;
    this.inFlight = this.file.syncLog().then(
      async () => {
        this.version = batch.version;
        // In write order, SETTLE_SLICE writes per loop turn: a reader in between sees the commit's first
        // writes applied and not yet the rest, as if those were in the next commit. No commit is planned
        // until all are applied (syncing stays set), so plans always see the whole of memory.
        let step = 0;
        for (let i = 0; i < pending.length; i++) {
          if (i > 0 && i % SETTLE_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
          for (const end = stepEnds[i] as number; step < end; step++) {
            const applied = batch.steps[step] as (typeof batch.steps)[number];
            applied.owner.apply(applied);
          }
          settleOne(i);
        }
        this.commitsSinceCheckpoint += 1;
        if (this.commitsSinceCheckpoint >= CHECKPOINT_COMMITS) this.checkpoint();
        else this.syncing = false;
        if (this.queue.length > 0) this.scheduleFlush();
      },
      (cause: unknown) => {
        this.failClosed("the store's log could not be synced", cause);
        for (const write of pending) write.reject(this.failure);
      },
    );
  }

  /** Checkpoints the WAL; commits wait until the database holds it durably (sqlite-file.ts). */
  private checkpoint(): void {
    this.commitsSinceCheckpoint = 0;
    let done: Promise<void>;
    try {
      done = this.file.checkpoint();
    } catch (cause) {
      done = Promise.reject(cause);
    }
    this.inFlight = done.then(
      () => {
        this.syncing = false;
        if (this.queue.length > 0) this.scheduleFlush();
      },
      (cause: unknown) => this.failClosed("the store's checkpoint failed", cause),
    );
  }

  /**
   * After a failed fsync, pages it was to write may be gone and nothing later can be promised durable: every
   * write from now on is refused; a restart reads back what the file really holds (the WAL replays).
   */
  private failClosed(what: string, cause: unknown): void {
    this.syncing = false;
    this.failure = new StoreError(
      "Unavailable",
      `${what} (${(cause as Error).message}); restart the provider`,
      {
        cause,
      },
    );
    if (this.queue.length > 0) this.scheduleFlush();
  }
}

function wallClockNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
