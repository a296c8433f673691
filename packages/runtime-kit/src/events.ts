import { create, toBinary } from "@bufbuild/protobuf";
import { event, meta } from "@iri/api";
import { type Collection, type Database, jsonCodec, matchesLabels } from "@iri/store";
import { createLogger, type Logger } from "./logging.js";
import type { ProviderMetrics } from "./metrics.js";

/**
 * The object an event is about: its id and its labels as they were when the event happened. Only these: the
 * poollets map an event to their Kubernetes object through the labels alone, and copying annotations (which
 * may be 256 KiB each) into every event is what made ListEvents outgrow every client's 4 MiB limit.
 * A store record's metadata will do.
 */
export interface InvolvedObject {
  id: string;
  labels: Readonly<Record<string, string>>;
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
  /**
   * Default 3 MiB: the encoded size of all events kept, so that an unfiltered ListEvents stays under the
   * 4 MiB grpc-go clients accept; the oldest are dropped first.
   */
  maxBytes?: number;
  /** Counts dropped events (`iri_events_dropped_total`) and the bytes kept. */
  metrics?: ProviderMetrics;
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

/** Messages longer than this are cut: a backend's error text must not make one event a large part of a List. */
const MAX_MESSAGE_CHARS = 1024;

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
  readonly #maxBytes: number;
  readonly #metrics: ProviderMetrics | undefined;
  readonly #now: () => number;
  /** Ordered by seq, oldest first. Once persisted, each is the store's own copy: an event is held once. */
  #events: StoredEvent[];
  /** Encoded size of each kept event by seq, and their sum. */
  readonly #sizes = new Map<number, number>();
  #bytes = 0;
  /** Pending create per event id, so a removal never overtakes the write it undoes. */
  readonly #pending = new Map<string, Promise<void>>();
  #nextSeq: number;
  #closed = false;

  constructor(options: EventRecorderOptions) {
    this.#logger = options.logger ?? createLogger({ name: "events" });
    this.#maxEvents = options.maxEvents ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#maxBytes = options.maxBytes ?? 3 * 1024 * 1024;
    this.#metrics = options.metrics;
    this.#now = options.now ?? Date.now;
    this.#collection = options.db.collection(COLLECTION, {
      spec: jsonCodec<StoredEvent>(),
      status: jsonCodec<Record<string, never>>(),
    });
    this.#events = this.#collection
      .list()
      .map((r) => r.spec)
      .sort((a, b) => a.seq - b.seq);
    for (const e of this.#events) this.#account(e);
    this.#nextSeq = (this.#events.at(-1)?.seq ?? 0) + 1;
    this.#prune(true);
  }

  /** Encoded size of the events kept: what an unfiltered ListEvents answers, less the envelope. */
  get bytes(): number {
    return this.#bytes;
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
        message: truncate(input.message),
        involved: { id: input.involved.id, labels: { ...input.involved.labels } },
      };
      this.#events.push(stored);
      this.#account(stored);
      const id = idOf(stored);
      const write = this.#collection
        .create({ id, spec: stored, status: {} })
        .then(
          (persisted) => this.#adopt(persisted.spec),
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

  /** Stops recording and waits for pending writes; call before closing the database. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  /**
   * Drops expired events, those beyond maxEvents and then the oldest until the rest fit in maxBytes.
   * `everywhere` also looks past the oldest event for expired ones (a clock that stepped back leaves them out
   * of order); recording only checks the front, to stay O(1).
   */
  #prune(everywhere: boolean): void {
    const oldest = this.#now() - this.#ttlMs;
    const expired = (e: StoredEvent) => e.timeMs < oldest;
    let front = this.#events.findIndex((e) => !expired(e));
    if (front === -1) front = this.#events.length;
    let cut = front + Math.max(0, this.#events.length - front - this.#maxEvents);
    const overCount = cut - front;
    let bytesAfterCut = this.#bytes;
    for (const e of this.#events.slice(0, cut)) bytesAfterCut -= this.#sizes.get(e.seq) ?? 0;
    // Then the oldest of the rest until the bytes fit; the newest event is always kept.
    while (bytesAfterCut > this.#maxBytes && cut < this.#events.length - 1) {
      bytesAfterCut -= this.#sizes.get((this.#events[cut] as StoredEvent).seq) ?? 0;
      cut++;
    }
    if (cut > 0) {
      this.#drop(this.#events.slice(0, front), "expired");
      this.#drop(this.#events.slice(front, front + overCount), "count");
      this.#drop(this.#events.slice(front + overCount, cut), "bytes");
      this.#events = this.#events.slice(cut);
    }
    if (everywhere && this.#events.some(expired)) {
      this.#drop(this.#events.filter(expired), "expired");
      this.#events = this.#events.filter((e) => !expired(e));
    }
  }

  #drop(events: readonly StoredEvent[], reason: "expired" | "count" | "bytes"): void {
    if (events.length === 0) return;
    for (const e of events) {
      this.#bytes -= this.#sizes.get(e.seq) ?? 0;
      this.#sizes.delete(e.seq);
      this.#remove(idOf(e));
    }
    this.#metrics?.eventsDropped.inc({ reason }, events.length);
    this.#metrics?.eventBytes.set(this.#bytes);
  }

  #account(e: StoredEvent): void {
    const size = encodedSize(e);
    this.#sizes.set(e.seq, size);
    this.#bytes += size;
    this.#metrics?.eventBytes.set(this.#bytes);
  }

  /** Replaces the event as recorded by the store's decoded copy of it, so that only one is held. */
  #adopt(persisted: StoredEvent): void {
    const index = indexOfSeq(this.#events, persisted.seq);
    if (index !== -1) this.#events[index] = persisted;
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

/** Binary search in events ordered by seq; -1 when it was dropped already. */
function indexOfSeq(events: readonly StoredEvent[], seq: number): number {
  let low = 0;
  let high = events.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = (events[mid] as StoredEvent).seq;
    if (at === seq) return mid;
    if (at < seq) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** Bytes of the event as an element of ListEventsResponse.events (tag and length prefix included). */
function encodedSize(e: StoredEvent): number {
  const length = toBinary(event.EventSchema, toMessage(e, Math.floor(e.timeMs / 1000))).length;
  return 1 + varintLength(length) + length;
}

function varintLength(value: number): number {
  let bytes = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

function toMessage(e: StoredEvent, seconds: number): event.Event {
  return create(event.EventSchema, {
    spec: {
      involvedObjectMeta: create(meta.ObjectMetadataSchema, {
        id: e.involved.id,
        labels: { ...e.involved.labels },
      }),
      reason: e.reason,
      message: e.message,
      type: e.type,
      action: e.action,
      eventTime: BigInt(seconds),
    },
  });
}
