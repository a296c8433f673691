// Shared parts of the in-memory reference runtimes: an object table with the IRI id, create, list and delete
// semantics, and an event log. Written to the contract, not to any real provider.
import { randomBytes } from "node:crypto";
import { clone, create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { event, meta } from "@iri/api";
import type { Fault } from "./faults.js";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const invalidArgument = (message: string) => new ConnectError(message, Code.InvalidArgument);
export const notFound = (message: string) => new ConnectError(message, Code.NotFound);
export const alreadyExists = (message: string) => new ConnectError(message, Code.AlreadyExists);
export const failedPrecondition = (message: string) => new ConnectError(message, Code.FailedPrecondition);

export const nowNanos = () => BigInt(Date.now()) * 1_000_000n;
export const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

export function version(faults: Faults, runtime: string, requested: string) {
  if (requested !== "" && faults.has("version-rejects-junk"))
    throw invalidArgument(`unsupported version ${requested}`);
  const runtimeName = faults.has("version-name-with-scheme")
    ? `reference://${runtime}`
    : `reference-${runtime}`;
  return { runtimeName, runtimeVersion: "0.1.0" };
}

export class Faults {
  private readonly active: ReadonlySet<Fault>;
  constructor(faults: readonly Fault[] = []) {
    this.active = new Set(faults);
  }
  has(fault: Fault): boolean {
    return this.active.has(fault);
  }
}

/** Timers that a closing server can cancel all at once. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      run();
    }, ms);
    this.pending.add(timer);
  }
  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

export function matchesSelector(
  labels: Record<string, string>,
  selector: Record<string, string> | undefined,
  faults: Faults,
): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => {
    if (key in labels) return labels[key] === value;
    return faults.has("selector-empty-value-matches-absent") && value === "";
  });
}

export interface Filter {
  id?: string;
  labelSelector?: Record<string, string>;
}

export interface EventFilter extends Filter {
  eventsFromTime?: bigint;
  eventsToTime?: bigint;
}

export class EventLog {
  private readonly events: event.Event[] = [];
  constructor(private readonly faults: Faults) {}

  record(involved: meta.ObjectMetadata, type: "Normal" | "Warning", reason: string, message: string): void {
    this.events.push(
      create(event.EventSchema, {
        spec: {
          involvedObjectMeta: clone(meta.ObjectMetadataSchema, involved),
          type,
          reason,
          action: reason,
          message,
          eventTime: this.faults.has("event-time-nanoseconds") ? nowNanos() : nowSeconds(),
        },
      }),
    );
  }

  list(filter: EventFilter | undefined): event.Event[] {
    const faults = this.faults;
    const from = filter?.eventsFromTime ?? 0n;
    const to = filter?.eventsToTime ?? 0n;
    const windowed = from > 0n && to > 0n && !faults.has("events-window-ignored");
    return this.events.filter((e) => {
      const involved = e.spec?.involvedObjectMeta;
      if (filter?.id && involved?.id !== filter.id) return false;
      if (!matchesSelector(involved?.labels ?? {}, filter?.labelSelector, faults)) return false;
      const t = e.spec?.eventTime ?? 0n;
      return !windowed || (t >= from && t <= to);
    });
  }
}

interface StoredShape {
  metadata?: meta.ObjectMetadata;
  spec?: object;
  status?: object;
}

export interface TableOptions<Desc extends DescMessage> {
  schema: Desc;
  noun: string;
  faults: Faults;
  timers: Timers;
  events: EventLog;
  settleMs: number;
  specEquals(a: MessageShape<Desc>, b: MessageShape<Desc>): boolean;
}

/**
 * Objects of one kind with the contract's create (caller ids, idempotent same-spec create), list (exact id,
 * equality-set selectors) and delete (soft delete, then removal after settleMs) semantics.
 */
export class ObjectTable<
  Desc extends DescMessage,
  O extends MessageShape<Desc> & StoredShape = MessageShape<Desc> & StoredShape,
> {
  private readonly objects = new Map<string, O>();

  constructor(private readonly options: TableOptions<Desc>) {}

  /**
   * Validates and stores `input`. `prepare` validates the spec (throwing InvalidArgument) and sets the initial
   * status; `settle` runs after settleMs to converge the object.
   */
  create(input: O | undefined, prepare: (object: O) => void, settle: (object: O) => void): O {
    const { noun, faults } = this.options;
    if (!input) throw invalidArgument(`${noun} is required`);
    if (!input.metadata || !input.spec)
      throw invalidArgument(`${noun}.metadata and ${noun}.spec are required`);
    const object = clone(this.options.schema, input) as O;
    prepare(object);
    const metadata = object.metadata ?? create(meta.ObjectMetadataSchema);
    if (metadata.id !== "" && !DNS_LABEL.test(metadata.id)) {
      throw invalidArgument(`${noun}.metadata.id ${JSON.stringify(metadata.id)} is not a DNS label`);
    }
    const existing = metadata.id === "" ? undefined : this.objects.get(metadata.id);
    if (existing && !faults.has("duplicate-id-overwrites")) {
      if (this.options.specEquals(existing, object)) return this.copy(existing);
      throw alreadyExists(`${noun} ${metadata.id} already exists with a different spec`);
    }
    metadata.id ||= randomBytes(16).toString("hex");
    metadata.createdAt = faults.has("created-at-seconds") ? nowSeconds() : nowNanos();
    metadata.deletedAt = 0n;
    metadata.generation = 0n;
    if (faults.has("labels-drop-empty-values")) {
      metadata.labels = Object.fromEntries(Object.entries(metadata.labels).filter(([, v]) => v !== ""));
    }
    object.metadata = metadata;
    this.objects.set(metadata.id, object);
    this.options.events.record(metadata, "Normal", "Created", `${noun} created`);
    this.later(metadata.id, settle);
    return this.copy(object);
  }

  /** The stored object itself (for in-place updates), or NotFound. */
  get(id: string): O {
    const object = this.objects.get(id);
    if (!object) throw notFound(`${this.options.noun} ${id} not found`);
    return object;
  }

  has(id: string): boolean {
    return this.objects.has(id);
  }

  list(filter: Filter | undefined): O[] {
    const { faults, noun } = this.options;
    if (filter?.id) {
      const object = this.objects.get(filter.id);
      if (!object && faults.has("list-unknown-id-errors")) throw notFound(`${noun} ${filter.id} not found`);
      return object ? [this.copy(object)] : [];
    }
    return [...this.objects.values()]
      .filter((o) => matchesSelector(o.metadata?.labels ?? {}, filter?.labelSelector, faults))
      .map((o) => this.copy(o));
  }

  /** Marks the object deleted (`terminate` may change its state) and removes it after settleMs. */
  delete(id: string, terminate: (object: O) => void = () => {}): void {
    const object = this.objects.get(id);
    if (!object) {
      if (this.options.faults.has("delete-unknown-internal"))
        throw new ConnectError("lookup failed", Code.Internal);
      throw notFound(`${this.options.noun} ${id} not found`);
    }
    if (object.metadata && object.metadata.deletedAt !== 0n && this.options.faults.has("redelete-internal")) {
      throw new ConnectError("already terminating", Code.Internal);
    }
    if (object.metadata && object.metadata.deletedAt === 0n) {
      object.metadata.deletedAt = nowNanos();
      terminate(object);
      this.options.timers.after(this.options.settleMs, () => this.objects.delete(id));
    }
  }

  /** Runs `step` on the object after settleMs, unless it is gone or being deleted by then. */
  later(id: string, step: (object: O) => void): void {
    this.options.timers.after(this.options.settleMs, () => {
      const object = this.objects.get(id);
      if (object && object.metadata?.deletedAt === 0n) step(object);
    });
  }

  private copy(object: O): O {
    const copy = clone(this.options.schema, object) as O;
    if (this.options.faults.has("status-omitted")) copy.status = undefined;
    return copy;
  }
}
