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
  /**
   * The bytes as a one-byte (latin1) string, a character per byte: V8 holds it in its heap as a header and
   * the bytes. A Uint8Array is a typed array, an ArrayBuffer and a malloc'd backing store (~300 bytes before
   * the data); at two parts per record that was ~20 MiB of a 10,000-machine provider. partBytes reads it.
   */
  readonly held: string;
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
  const value = deepFreeze(part.codec.decode(partBytes(part)));
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

/** A part over new bytes (copied), not decoded yet. */
export function newPart<T>(bytes: Uint8Array, codec: Codec<T>, recent: RecentValues): Part<T> {
  return { held: asBuffer(bytes).toString("latin1"), codec, recent, cached: undefined };
}

/**
 * A part's bytes, in a new buffer (small ones are cut from Node's shared pool, so reading costs no
 * ArrayBuffer of its own): for decoding, or for splicing into a List, not for holding.
 */
export function partBytes(part: Part<unknown>): Uint8Array {
  return Buffer.from(part.held, "latin1");
}

/** Whether `bytes` are those of `part`. */
export function partHolds(part: Part<unknown>, bytes: Uint8Array): boolean {
  return bytes.length === part.held.length && asBuffer(bytes).toString("latin1") === part.held;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
 * A record's spec or status as the binary protobuf message it is, taken from the stored bytes (unsealed
 * when sealed) without decoding it; undefined when its codec stores something else (or the record was not
 * read from a store).
 */
export function messageBytesOf(
  record: StoredRecord<unknown, unknown>,
  which: "spec" | "status",
): Uint8Array | undefined {
  const part = (record as Partial<Holder<unknown, unknown>>)[PARTS]?.[which];
  return part === undefined ? undefined : part.codec.messageBytes?.(partBytes(part));
}

/** The length of what messageBytesOf returns, read from the stored bytes alone. */
export function messageLengthOf(
  record: StoredRecord<unknown, unknown>,
  which: "spec" | "status",
): number | undefined {
  const part = (record as Partial<Holder<unknown, unknown>>)[PARTS]?.[which];
  return part === undefined ? undefined : part.codec.messageLength?.(partBytes(part));
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
