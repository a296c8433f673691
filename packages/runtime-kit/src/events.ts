import { create } from "@bufbuild/protobuf";
import { event, meta } from "@iri/api";
import { type Collection, type Database, jsonCodec, matchesLabels } from "@iri/store";
import { createLogger, type Logger } from "./logging.js";

/** The metadata of the object an event is about, as it was when the event happened. */
export interface InvolvedObject {
  id: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** Unix nanoseconds, as in IRI metadata. */
  createdAt: bigint;
  deletedAt: bigint;
  generation: bigint;
}

export interface RecordedEvent {
  /** Anything shaped like a store record's metadata will do. */
  involved: InvolvedObject;
  /** Kubernetes event types: the poollets record the event on the Kubernetes object as it is. */
  type: "Normal" | "Warning";
  /** CamelCase cause, e.g. "PullFailed". Never a secret. */
  reason: string;
  /** What was being done, e.g. "Create". */
  action: string;
  /** Human-readable detail. Never a secret: it ends up in Kubernetes events (see redactSecrets). */
  message: string;
}

export interface EventListFilter {
  /** Exact involved object id. */
  id?: string;
  /** Equality-set selector on the involved object's labels. */
  labelSelector?: Readonly<Record<string, string>>;
  /** Unix seconds; the window is inclusive and applies only when both bounds are > 0 (as in the brokers). */
  fromSeconds?: number | bigint;
  toSeconds?: number | bigint;
}

export interface EventRecorderOptions {
  /** Events live in its "events" collection, so they survive a restart. */
  db: Database;
  /** For persistence failures; default a stdout logger. */
  logger?: Logger;
  /** Default 10,000; the oldest event is dropped when a new one would exceed it. */
  maxEvents?: number;
  /** Default 1 h; older events are dropped. */
  ttlMs?: number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

/** The persisted form; `seq` orders events (a wall clock may step back) and survives restarts. */
interface StoredEvent {
  seq: number;
  timeMs: number;
  type: string;
  reason: string;
  action: string;
  message: string;
  involved: InvolvedObject;
}

type EventCollection = Collection<StoredEvent, Record<string, never>>;

const COLLECTION = "events";

/**
 * Keeps the events a provider reports about its objects for ListEvents: bounded in number and age, persisted
 * in the store, served from memory. Recording never blocks and never throws: an event that cannot be persisted
 * is still listed until a restart, and the failure is logged.
 */
export class EventRecorder {
  readonly #collection: EventCollection;
  readonly #logger: Logger;
  readonly #maxEvents: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Ordered by seq, oldest first. */
  #events: StoredEvent[];
  /** Pending create per event id, so a removal never overtakes the write it undoes. */
  readonly #pending = new Map<string, Promise<void>>();
  #nextSeq: number;
  #closed = false;

  constructor(options: EventRecorderOptions) {
    this.#logger = options.logger ?? createLogger({ name: "events" });
    this.#maxEvents = options.maxEvents ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
    this.#collection = options.db.collection(COLLECTION, {
      spec: jsonCodec<StoredEvent>(),
      status: jsonCodec<Record<string, never>>(),
    });
    this.#events = this.#collection
      .list()
      .map((r) => r.spec)
      .sort((a, b) => a.seq - b.seq);
    this.#nextSeq = (this.#events.at(-1)?.seq ?? 0) + 1;
    this.#prune(true);
  }

  /** Number of events currently kept. */
  get size(): number {
    return this.#events.length;
  }

  /** Keeps the event; after close() it is dropped, since the database is about to close too. */
  record(input: RecordedEvent): void {
    if (this.#closed) return;
    try {
      const stored: StoredEvent = {
        seq: this.#nextSeq++,
        timeMs: this.#now(),
        type: input.type,
        reason: input.reason,
        action: input.action,
        message: input.message,
        involved: {
          id: input.involved.id,
          labels: { ...input.involved.labels },
          annotations: { ...input.involved.annotations },
          createdAt: input.involved.createdAt,
          deletedAt: input.involved.deletedAt,
          generation: input.involved.generation,
        },
      };
      this.#events.push(stored);
      const id = idOf(stored);
      const write = this.#collection
        .create({ id, spec: stored, status: {} })
        .then(
          () => undefined,
          (err: unknown) => this.#logger.warn({ err, reason: stored.reason }, "event not persisted"),
        )
        .finally(() => {
          if (this.#pending.get(id) === write) this.#pending.delete(id);
        });
      this.#pending.set(id, write);
      this.#prune(false);
    } catch (err) {
      this.#logger.warn({ err, reason: input.reason }, "event not recorded");
    }
  }

  /** Events matching the filter, oldest first, as IRI messages (never with nil sub-messages). */
  list(filter: EventListFilter = {}): event.Event[] {
    this.#prune(true);
    const from = Number(filter.fromSeconds ?? 0);
    const to = Number(filter.toSeconds ?? 0);
    const windowed = from > 0 && to > 0;
    const out: event.Event[] = [];
    for (const e of this.#events) {
      if (filter.id && e.involved.id !== filter.id) continue;
      if (!matchesLabels(e.involved.labels, filter.labelSelector)) continue;
      const seconds = Math.floor(e.timeMs / 1000);
      if (windowed && (seconds < from || seconds > to)) continue;
      out.push(toMessage(e, seconds));
    }
    return out;
  }

  /** Resolves once every event recorded so far is durable (or its failure logged). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending.values());
  }

  /**
   * Drops expired events and those beyond maxEvents. `everywhere` also looks past the oldest event for expired
   * ones (a clock that stepped back leaves them out of order); recording only checks the front, to stay O(1).
   */
  /** Stops recording and waits for pending writes; call before closing the database. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #prune(everywhere: boolean): void {
    const oldest = this.#now() - this.#ttlMs;
    const expired = (e: StoredEvent) => e.timeMs < oldest;
    let front = this.#events.findIndex((e) => !expired(e));
    if (front === -1) front = this.#events.length;
    const cut = front + Math.max(0, this.#events.length - front - this.#maxEvents);
    if (cut > 0) {
      for (const e of this.#events.slice(0, cut)) this.#remove(idOf(e));
      this.#events = this.#events.slice(cut);
    }
    if (everywhere && this.#events.some(expired)) {
      for (const e of this.#events.filter(expired)) this.#remove(idOf(e));
      this.#events = this.#events.filter((e) => !expired(e));
    }
  }

  #remove(id: string): void {
    const after = this.#pending.get(id) ?? Promise.resolve();
    const removal = after
      .then(() => this.#collection.forceRemove(id))
      .catch((err: unknown) => this.#logger.warn({ err, id }, "expired event not removed from the store"))
      .finally(() => {
        if (this.#pending.get(id) === removal) this.#pending.delete(id);
      });
    this.#pending.set(id, removal);
  }
}

function idOf(e: StoredEvent): string {
  return `e${e.seq}`;
}

function toMessage(e: StoredEvent, seconds: number): event.Event {
  return create(event.EventSchema, {
    spec: {
      involvedObjectMeta: create(meta.ObjectMetadataSchema, {
        id: e.involved.id,
        labels: { ...e.involved.labels },
        annotations: { ...e.involved.annotations },
        createdAt: e.involved.createdAt,
        deletedAt: e.involved.deletedAt,
        generation: e.involved.generation,
      }),
      reason: e.reason,
      message: e.message,
      type: e.type,
      action: e.action,
      eventTime: BigInt(seconds),
    },
  });
}
