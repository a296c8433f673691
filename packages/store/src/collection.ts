import {
  encodedRecord,
  newPart,
  type Part,
  partHolds,
  partsOf,
  type RecentValues,
} from "./encoded-record.js";
import { AlreadyExistsError, ConflictError, NotFoundError, type RecordRef, StoreError } from "./errors.js";
import { LabelIndex } from "./label-index.js";
import { matchesLabels } from "./labels.js";
import type { RecordRow } from "./sqlite-file.js";
import type {
  Codec,
  Collection,
  CreateInput,
  ListOptions,
  ObjectMeta,
  RecordChanges,
  StoredRecord,
  WatchEvent,
  WatchHandler,
  WatchOptions,
} from "./types.js";
import { Watcher } from "./watcher.js";
import type { Entry, EntryOwner, Step, WriteBatch } from "./write-batch.js";

/** What a collection needs from its database. */
export interface WriteQueue {
  /** Plans a write into the next group commit; settles after that commit, with the plan's result. */
  write<T>(plan: (batch: WriteBatch) => T): Promise<T>;
  /** Runs a public write operation; refused once the database is closing, and awaited by close(). */
  track<T>(operation: () => Promise<T>): Promise<T>;
  now(): bigint;
}

/**
 * A collection's records live in memory, loaded once at open; SQLite only sees writes. Memory changes only
 * in `apply`, which the database calls after the commit that carried the step succeeded.
 */
export class SqliteCollection<Spec, Status> implements Collection<Spec, Status>, EntryOwner {
  // Insertion order is creation order: loaded by created_version, new records appended on create.
  private readonly entries = new Map<string, Entry<Spec, Status>>();
  private readonly labelIndex = new LabelIndex();
  private readonly watchers = new Set<Watcher<Spec, Status>>();

  constructor(
    readonly name: string,
    /** Singular display name for messages, e.g. "machine". */
    readonly kind: string,
    private readonly codecs: { spec: Codec<Spec>; status: Codec<Status> },
    private readonly queue: WriteQueue,
    /** The database's recently decoded values, shared by its collections. */
    private readonly recent: RecentValues,
    rows: Iterable<RecordRow>,
  ) {
    for (const row of rows) this.insert(this.fromRow(row));
  }

  get(id: string): StoredRecord<Spec, Status> | undefined {
    return this.entries.get(id)?.record;
  }

  list(options: ListOptions = {}): StoredRecord<Spec, Status>[] {
    const { id, labelSelector } = options;
    if (id !== undefined) {
      const record = this.get(id);
      return record !== undefined && matchesLabels(record.metadata.labels, labelSelector) ? [record] : [];
    }
    if (labelSelector === undefined || Object.keys(labelSelector).length === 0) {
      return Array.from(this.entries.values(), (entry) => entry.record);
    }
    const matches: Entry<Spec, Status>[] = [];
    for (const candidate of this.labelIndex.candidates(labelSelector)) {
      const entry = this.entries.get(candidate) as Entry<Spec, Status>;
      if (matchesLabels(entry.record.metadata.labels, labelSelector)) matches.push(entry);
    }
    // The index's sets are in labelling order, not creation order.
    matches.sort(byCreation);
    return matches.map((entry) => entry.record);
  }

  count(): number {
    return this.entries.size;
  }

  /** The bytes the codecs write now for the record's values (for reencodeAtRest). */
  encodeValues(id: string): { spec: Uint8Array; status: Uint8Array } | undefined {
    const record = this.get(id);
    if (record === undefined) return undefined;
    return { spec: this.codecs.spec.encode(record.spec), status: this.codecs.status.encode(record.status) };
  }

  create(input: CreateInput<Spec, Status>): Promise<StoredRecord<Spec, Status>> {
    return this.queue.track(() =>
      this.queue.write((batch) => {
        if (this.current(batch, input.id) !== undefined) throw new AlreadyExistsError(this.ref(input.id));
        const specBytes = this.codecs.spec.encode(input.spec);
        const statusBytes = this.codecs.status.encode(input.status);
        const version = batch.nextVersion();
        const record = this.recordOf(
          {
            id: input.id,
            labels: { ...input.labels },
            annotations: { ...input.annotations },
            generation: 1n,
            createdAt: this.queue.now(),
            deletedAt: 0n,
            resourceVersion: version,
            finalizers: [...(input.finalizers ?? [])],
          },
          specBytes,
          statusBytes,
        );
        const entry = { record, createdVersion: version };
        batch.add<Spec, Status>({ kind: "put", owner: this, event: "added", entry, specBytes, statusBytes });
        return record;
      }),
    );
  }

  update(
    id: string,
    resourceVersion: bigint,
    changes: RecordChanges<Spec, Status>,
  ): Promise<StoredRecord<Spec, Status>> {
    return this.queue.track(() => this.updateAt(id, resourceVersion, changes));
  }

  mutate(
    id: string,
    mutate: (current: StoredRecord<Spec, Status>) => RecordChanges<Spec, Status> | undefined,
  ): Promise<StoredRecord<Spec, Status>> {
    return this.queue.track(async () => {
      for (;;) {
        const current = this.get(id);
        if (current === undefined) throw new NotFoundError(this.ref(id));
        const changes = mutate(current);
        if (changes === undefined) return current;
        try {
          return await this.updateAt(id, current.metadata.resourceVersion, changes);
        } catch (error) {
          // Someone wrote in between: compute the changes again from what they wrote.
          if (!(error instanceof ConflictError)) throw error;
        }
      }
    });
  }

  markDeleted(id: string): Promise<StoredRecord<Spec, Status> | undefined> {
    return this.queue.track(() =>
      this.queue.write((batch) => {
        const current = this.current(batch, id);
        if (current === undefined) throw new NotFoundError(this.ref(id));
        const { metadata } = current.record;
        if (metadata.deletedAt !== 0n) return current.record;
        const { record, removed } = this.stage(batch, current, { ...metadata, deletedAt: this.queue.now() });
        return removed ? undefined : record;
      }),
    );
  }

  removeFinalizer(id: string, finalizer: string): Promise<StoredRecord<Spec, Status> | undefined> {
    return this.queue.track(() =>
      this.queue.write((batch) => {
        const current = this.current(batch, id);
        if (current === undefined) return undefined;
        const { metadata } = current.record;
        if (!metadata.finalizers.includes(finalizer)) return current.record;
        const finalizers = metadata.finalizers.filter((f) => f !== finalizer);
        const { record, removed } = this.stage(batch, current, { ...metadata, finalizers });
        return removed ? undefined : record;
      }),
    );
  }

  forceRemove(id: string): Promise<void> {
    return this.queue.track(() =>
      this.queue.write((batch) => {
        const current = this.current(batch, id);
        if (current !== undefined) this.stage(batch, current, current.record.metadata, { remove: true });
      }),
    );
  }

  watch(handler: WatchHandler<Spec, Status>, options: WatchOptions = {}): () => void {
    const watcher = new Watcher(handler, options.onError ?? reportWatchError, options.maxBacklog);
    this.watchers.add(watcher);
    return () => {
      watcher.stop();
      this.watchers.delete(watcher);
    };
  }

  /** Called by the database, in commit order, once the step is durable. */
  apply(step: Step<Spec, Status>): void {
    const { id } = step.entry.record.metadata;
    const previous = this.entries.get(id);
    if (previous !== undefined) this.labelIndex.remove(id, previous.record.metadata.labels);
    if (step.kind === "put") {
      this.insert(step.entry);
    } else {
      this.entries.delete(id);
    }
    let event: WatchEvent<Spec, Status>;
    if (step.kind === "remove") event = { type: "deleted", record: step.entry.record };
    else if (step.event === "modified" && previous !== undefined)
      event = { type: "modified", record: step.entry.record, previous: previous.record };
    else event = { type: "added", record: step.entry.record };
    for (const watcher of this.watchers) watcher.push(event);
  }

  private updateAt(
    id: string,
    resourceVersion: bigint,
    changes: RecordChanges<Spec, Status>,
  ): Promise<StoredRecord<Spec, Status>> {
    return this.queue.write((batch) => {
      const current = this.current(batch, id);
      if (current === undefined) throw new NotFoundError(this.ref(id));
      const { metadata } = current.record;
      if (metadata.resourceVersion !== resourceVersion) {
        throw new ConflictError(this.ref(id), resourceVersion, metadata.resourceVersion);
      }
      let specBytes: Uint8Array | undefined;
      let generation = metadata.generation;
      if (changes.spec !== undefined) {
        specBytes = this.codecs.spec.encode(changes.spec);
        if (!partHolds(partsOf(current.record).spec, specBytes)) generation += 1n;
      }
      const next = {
        ...metadata,
        labels: changes.labels === undefined ? metadata.labels : { ...changes.labels },
        annotations: changes.annotations === undefined ? metadata.annotations : { ...changes.annotations },
        finalizers: changes.finalizers === undefined ? metadata.finalizers : [...changes.finalizers],
        generation,
      };
      const statusBytes =
        changes.status === undefined ? undefined : this.codecs.status.encode(changes.status);
      // An update that drops the last finalizer of a deleted record removes it; the caller still gets the
      // record as the update left it, and watchers see "deleted".
      return this.stage(batch, current, next, { specBytes, statusBytes }).record;
    });
  }

  /**
   * Adds the write of `metadata` (with a new resourceVersion) and, when given, new spec/status bytes to the
   * batch. A deleted record left without finalizers is removed instead: it must not linger.
   */
  private stage(
    batch: WriteBatch,
    current: Entry<Spec, Status>,
    metadata: Omit<ObjectMeta, "resourceVersion">,
    parts: {
      specBytes?: Uint8Array | undefined;
      statusBytes?: Uint8Array | undefined;
      remove?: boolean;
    } = {},
  ): { record: StoredRecord<Spec, Status>; removed: boolean } {
    const { specBytes, statusBytes } = parts;
    const unchanged = partsOf(current.record);
    const record = encodedRecord(
      { ...metadata, resourceVersion: batch.nextVersion() },
      specBytes === undefined ? unchanged.spec : this.specPart(specBytes),
      statusBytes === undefined ? unchanged.status : this.statusPart(statusBytes),
    );
    const entry = { record, createdVersion: current.createdVersion };
    const removed = parts.remove === true || (metadata.deletedAt !== 0n && metadata.finalizers.length === 0);
    if (removed) {
      batch.add<Spec, Status>({ kind: "remove", owner: this, entry });
    } else {
      batch.add<Spec, Status>({
        kind: "put",
        owner: this,
        event: "modified",
        entry,
        specBytes: specBytes ?? null,
        statusBytes: statusBytes ?? null,
      });
    }
    return { record, removed };
  }

  /** The entry as committed, or as pending earlier writes of this batch leave it. */
  private current(batch: WriteBatch, id: string): Entry<Spec, Status> | undefined {
    const pending = batch.pending<Spec, Status>(this, id);
    return pending === undefined ? this.entries.get(id) : (pending ?? undefined);
  }

  private insert(entry: Entry<Spec, Status>): void {
    const { id, labels } = entry.record.metadata;
    // A modified record keeps its place: Map.set on an existing key does not move it.
    this.entries.set(id, entry);
    this.labelIndex.add(id, labels);
  }

  private fromRow(row: RecordRow): Entry<Spec, Status> {
    try {
      // Decoded once to prove the bytes still read (records are held encoded and decoded when read).
      this.codecs.spec.decode(row.spec);
      this.codecs.status.decode(row.status);
    } catch (cause) {
      // Names the record so an operator can find it; the codec's message carries no value.
      throw new StoreError(
        "Unavailable",
        `cannot read ${this.kind} ${JSON.stringify(row.id)}: ${(cause as Error).message}`,
        { cause },
      );
    }
    const record = this.recordOf(
      {
        id: row.id,
        labels: JSON.parse(row.labels) as Record<string, string>,
        annotations: JSON.parse(row.annotations) as Record<string, string>,
        generation: row.generation,
        createdAt: row.created_at,
        deletedAt: row.deleted_at,
        resourceVersion: row.resource_version,
        finalizers: JSON.parse(row.finalizers) as string[],
      },
      row.spec,
      row.status,
    );
    return { record, createdVersion: row.created_version };
  }

  private recordOf(metadata: ObjectMeta, spec: Uint8Array, status: Uint8Array): StoredRecord<Spec, Status> {
    return encodedRecord(metadata, this.specPart(spec), this.statusPart(status));
  }

  private specPart(bytes: Uint8Array): Part<Spec> {
    return newPart(bytes, this.codecs.spec, this.recent);
  }

  private statusPart(bytes: Uint8Array): Part<Status> {
    return newPart(bytes, this.codecs.status, this.recent);
  }

  private ref(id: string): RecordRef {
    return { collection: this.name, kind: this.kind, id };
  }
}

function byCreation(a: Entry<unknown, unknown>, b: Entry<unknown, unknown>): number {
  return a.createdVersion < b.createdVersion ? -1 : a.createdVersion > b.createdVersion ? 1 : 0;
}

function reportWatchError(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), "StoreWatchHandlerError");
}
