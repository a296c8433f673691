import { deepFreeze } from "./deep-freeze.js";
import type { Codec, ObjectMeta, StoredRecord } from "./types.js";

// A record as the store holds it: metadata decoded (the label index and every List need it), spec and status
// as the bytes their codecs wrote, decoded when read. A decoded machine is several times its encoding; held
// decoded, 10,000 of them were most of a provider's heap. The last values decoded stay decoded (RecentValues:
// records being created and reconciled are read again and again by watchers and reconcilers, and decoding
// and freezing a protobuf message costs tens of microseconds); an older one is dropped and decoded again when
// next read, so an idle record costs its bytes. Not a WeakRef: V8 clears those only in full collections, so
// the decoded values lived on in the old space and the heap grew instead of shrinking.

/**
 * One encoded value of a record. A new version of a record whose value did not change shares the part of the
 * version before (same bytes), and with it the decoded value: a status write does not make every reader of
 * the next version decode and freeze the (sealed) spec again.
 */
export interface Part<T> {
  readonly bytes: Uint8Array;
  readonly codec: Codec<T>;
  readonly recent: RecentValues;
  /** The decoded value while it is recent (primitives: always). */
  cached: T | undefined;
}

/** The parts decoded last, held decoded; the oldest is dropped when more are decoded. */
export class RecentValues {
  readonly #parts = new Set<Part<unknown>>();

  constructor(private readonly limit: number) {}

  keep(part: Part<unknown>): void {
    this.#parts.add(part);
    if (this.#parts.size <= this.limit) return;
    const oldest = this.#parts.values().next().value as Part<unknown>;
    this.#parts.delete(oldest);
    oldest.cached = undefined;
  }
}

const PARTS = Symbol("encoded parts");

export interface Parts<Spec, Status> {
  readonly spec: Part<Spec>;
  readonly status: Part<Status>;
}

type Holder<Spec, Status> = StoredRecord<Spec, Status> & { readonly [PARTS]: Parts<Spec, Status> };

function decodePart<T>(part: Part<T>): T {
  if (part.cached !== undefined) return part.cached;
  const value = deepFreeze(part.codec.decode(part.bytes));
  part.cached = value;
  if (typeof value === "object" && value !== null) part.recent.keep(part as Part<unknown>);
  return value;
}

// Shared by every record (one function each, not a closure per record); `this` is the record.
function specGetter(this: Holder<unknown, unknown>): unknown {
  return decodePart(this[PARTS].spec);
}
function statusGetter(this: Holder<unknown, unknown>): unknown {
  return decodePart(this[PARTS].status);
}

/** A part over new bytes, not decoded yet. */
export function newPart<T>(bytes: Uint8Array, codec: Codec<T>, recent: RecentValues): Part<T> {
  return { bytes: ownBytes(bytes), codec, recent, cached: undefined };
}

/**
 * A frozen record over the given parts. `spec` and `status` are own enumerable getters, so spreading or
 * comparing a record sees them as plain values; the bytes stay out of sight (a non-enumerable symbol).
 */
export function encodedRecord<Spec, Status>(
  metadata: ObjectMeta,
  spec: Part<Spec>,
  status: Part<Status>,
): StoredRecord<Spec, Status> {
  const parts: Parts<Spec, Status> = { spec, status };
  const record = Object.defineProperties(
    { metadata: deepFreeze(sharingEmpty(metadata)) },
    {
      spec: { get: specGetter, enumerable: true },
      status: { get: statusGetter, enumerable: true },
      [PARTS]: { value: parts },
    },
  );
  return Object.freeze(record) as StoredRecord<Spec, Status>;
}

/**
 * The bytes in a buffer of their own. A codec's output may be a view into a larger buffer (Node's 8 KiB pool
 * for small Buffers, a row read from SQLite): held for the record's life, the view would pin all of it.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}

/**
 * A record's spec or status as the binary protobuf message it is, taken from the stored bytes (unsealed
 * when sealed) without decoding it; undefined when its codec stores something else (or the record was not
 * read from a store).
 */
export function messageBytesOf(
  record: StoredRecord<unknown, unknown>,
  which: "spec" | "status",
): Uint8Array | undefined {
  const part = (record as Partial<Holder<unknown, unknown>>)[PARTS]?.[which];
  return part?.codec.messageBytes?.(part.bytes);
}

/** The length of what messageBytesOf returns, read from the stored bytes alone. */
export function messageLengthOf(
  record: StoredRecord<unknown, unknown>,
  which: "spec" | "status",
): number | undefined {
  const part = (record as Partial<Holder<unknown, unknown>>)[PARTS]?.[which];
  return part?.codec.messageLength?.(part.bytes);
}

const NO_STRINGS: Readonly<Record<string, string>> = Object.freeze({});
const NO_FINALIZERS: readonly string[] = Object.freeze([]);

/**
 * Empty labels, annotations and finalizers as one shared frozen value: most records of the sidecar
 * collections (backend state, placements) have none, and an empty object is still an object per record.
 */
function sharingEmpty(metadata: ObjectMeta): ObjectMeta {
  const empty = (map: Readonly<Record<string, string>>) => {
    for (const _ in map) return map;
    return NO_STRINGS;
  };
  return {
    ...metadata,
    labels: empty(metadata.labels),
    annotations: empty(metadata.annotations),
    finalizers: metadata.finalizers.length === 0 ? NO_FINALIZERS : metadata.finalizers,
  };
}

/** The parts a record of this store was made of: their bytes are what it was written with. */
export function partsOf<Spec, Status>(record: StoredRecord<Spec, Status>): Parts<Spec, Status> {
  return (record as Holder<Spec, Status>)[PARTS];
}
