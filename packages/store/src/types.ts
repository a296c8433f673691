// The public shapes of the store. Records are {metadata, spec, status}; spec and status are opaque to the
// store and persisted through a Codec (protobuf binary for IRI messages, JSON for internal state).

/** Encodes one part of a record for storage. Must round-trip exactly: decode(encode(v)) deep-equals v. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  /**
   * For a value that is a protobuf message: its binary encoding, read from the stored bytes without decoding
   * it (a List splices it into the response as it is). Absent when the stored bytes are no protobuf.
   */
  messageBytes?(stored: Uint8Array): Uint8Array;
  /** With messageBytes: the length of what it returns, without computing it (nor unsealing). */
  messageLength?(stored: Uint8Array): number;
}

export interface ObjectMeta {
  /** Unique within a collection. */
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Starts at 1; the store bumps it whenever the encoded spec changes. */
  readonly generation: bigint;
  /** Unix nanoseconds, set by the store on create. */
  readonly createdAt: bigint;
  /** Unix nanoseconds, set by markDeleted; 0n while the record is live. */
  readonly deletedAt: bigint;
  /** Store-wide monotonic version of the last write to this record (optimistic concurrency). */
  readonly resourceVersion: bigint;
  /** While non-empty, a deleted record stays (soft delete) until each finalizer is removed. */
  readonly finalizers: readonly string[];
}

/**
 * A record as the store holds it. Records are shared between all readers and deeply frozen (byte arrays
 * excepted): to change one, write the changes through the collection.
 */
export interface StoredRecord<Spec, Status> {
  readonly metadata: ObjectMeta;
  readonly spec: Spec;
  readonly status: Status;
}

export interface CreateInput<Spec, Status> {
  id: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  spec: Spec;
  status: Status;
}

/** The parts of a record a caller may change. Omitted fields keep their value. */
export interface RecordChanges<Spec, Status> {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  finalizers?: string[];
  spec?: Spec;
  status?: Status;
}

export interface ListOptions {
  /** Exact id; an unknown id yields an empty list. */
  id?: string;
  /** Every pair must be present with an equal value; empty or undefined matches everything. */
  labelSelector?: Readonly<Record<string, string>>;
}

export type WatchEvent<Spec, Status> =
  | { type: "added"; record: StoredRecord<Spec, Status> }
  /** `previous` is the record as it was before this write (lets a watcher ignore e.g. status-only writes). */
  | { type: "modified"; record: StoredRecord<Spec, Status>; previous: StoredRecord<Spec, Status> }
  /** The record is gone from the store for good (hard delete). */
  | { type: "deleted"; record: StoredRecord<Spec, Status> }
  /**
   * The watcher fell behind by more than its buffer: the backlog was dropped and replaced by this event.
   * The watcher must re-list; nothing was lost, only coalesced.
   */
  | { type: "resync" };

export interface WatchOptions {
  /** Undelivered events a watcher may hold before its backlog is replaced by one resync. Default 10,000. */
  maxBacklog?: number;
  /**
   * Called with what the handler threw or rejected with; delivery goes on with the next event.
   * Default: process.emitWarning.
   */
  onError?: (error: unknown) => void;
}

export type WatchHandler<Spec, Status> = (event: WatchEvent<Spec, Status>) => void | Promise<void>;

/**
 * One kind of record (e.g. "machines") in a database. Reads are synchronous from an in-memory index that
 * the store keeps in step with the database; writes resolve once they are durable on disk (fsync'd), so an
 * acknowledged write survives kill -9. Concurrent writes are group-committed in one transaction.
 */
export interface Collection<Spec, Status> {
  readonly name: string;
  /** The record, also while it is pending deletion (deletedAt set, finalizers left). */
  get(id: string): StoredRecord<Spec, Status> | undefined;
  /**
   * Matching records in creation order, records pending deletion included. Two Lists with no write in
   * between return the same records in the same order.
   */
  list(options?: ListOptions): StoredRecord<Spec, Status>[];
  /** Number of records, those pending deletion included. */
  count(): number;
  /**
   * Rejects with AlreadyExistsError if the id is taken (also by a record pending deletion). The stored spec
   * and status are decoded from their encoding, so they read the same before and after a restart.
   */
  create(input: CreateInput<Spec, Status>): Promise<StoredRecord<Spec, Status>>;
  /**
   * Applies changes if the record's current resourceVersion equals `resourceVersion`.
   * Rejects with NotFoundError if the record is gone, ConflictError if the version is stale.
   * Changes that leave a deleted record without finalizers remove it (as removeFinalizer does); the promise
   * then resolves with the record's last state and watchers see "deleted".
   */
  update(
    id: string,
    resourceVersion: bigint,
    changes: RecordChanges<Spec, Status>,
  ): Promise<StoredRecord<Spec, Status>>;
  /**
   * Reads the current record, computes changes from it and writes them, retrying on conflict.
   * `mutate` returning undefined means "no change" (nothing is written; the current record is returned).
   * `mutate` may run more than once (once per attempt), so it must only compute, not act.
   * Rejects with NotFoundError if the record does not exist.
   */
  mutate(
    id: string,
    mutate: (current: StoredRecord<Spec, Status>) => RecordChanges<Spec, Status> | undefined,
  ): Promise<StoredRecord<Spec, Status>>;
  /**
   * Soft delete: sets deletedAt (once; repeated calls keep the first time). Without finalizers the record is
   * removed at once. Returns the record as it now is, or undefined when it was removed.
   * Rejects with NotFoundError if there is no such record.
   */
  markDeleted(id: string): Promise<StoredRecord<Spec, Status> | undefined>;
  /**
   * Removes one finalizer; a deleted record whose last finalizer goes is removed (resolves undefined).
   * No-op if the finalizer is absent (resolves the current record) or the record is gone (resolves undefined).
   */
  removeFinalizer(id: string, finalizer: string): Promise<StoredRecord<Spec, Status> | undefined>;
  /** Removes a record at once, whatever its finalizers. No-op if absent. */
  forceRemove(id: string): Promise<void>;
  /** Events after every durable write, in commit order. Returns an unsubscribe function. */
  watch(handler: WatchHandler<Spec, Status>, options?: WatchOptions): () => void;
}

export interface DatabaseOptions {
  /** File path of the database (created mode 0600); the parent directory is created (mode 0700). */
  path: string;
  /** Unix nanoseconds for createdAt/deletedAt; tests pin it. Default: the wall clock. */
  now?: () => bigint;
}

export interface CollectionOptions<Spec, Status> {
  spec: Codec<Spec>;
  status: Codec<Status>;
  /** Singular name of one record in error messages (`machine "abc" not found`). Default: the collection name. */
  kind?: string;
}

export interface Database {
  /**
   * Opens a collection, loading all its records into memory. Each name may be opened once per Database
   * (a second instance would keep a second, diverging index): share the returned object.
   */
  collection<Spec, Status>(name: string, options: CollectionOptions<Spec, Status>): Collection<Spec, Status>;
  /**
   * Rewrites, in one transaction, the stored spec/status bytes of every record of the open collections whose
   * bytes differ from what the collection's codecs encode now (e.g. sealed with a previous key). Values,
   * versions and generations stay as they are and no watcher hears of it. Returns how many records changed.
   */
  reencodeAtRest(): number;
  /** Waits for pending writes and closes the file. Later writes reject; reads keep answering from memory. */
  close(): Promise<void>;
}

/** Counters for metrics and tests. */
export interface DatabaseStats {
  /** Transactions committed; group commit keeps this far below `writes` under load. */
  commits: number;
  /** Write operations that succeeded. */
  writes: number;
  /** SQL statements executed since open, including loading collections. Reads from memory add none. */
  statements: number;
}

/** What openDatabase returns: a Database with its counters. */
export interface SqliteDatabase extends Database {
  stats(): DatabaseStats;
}
