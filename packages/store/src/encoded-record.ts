import { deepFreeze } from "./deep-freeze.js";
import type { Codec, ObjectMeta, StoredRecord } from "./types.js";

// A record as the store holds it: metadata decoded (the label index and every List need it), spec and status
// as the bytes their codecs wrote, decoded when read. A decoded machine is several times its encoding; held
// decoded, 10,000 of them were most of a provider's heap. A decoded value is kept while anything still uses
// it (a WeakRef), so readers of one record in one piece of work share one frozen object and an idle record
// costs its bytes.

interface Part<T> {
  readonly bytes: Uint8Array;
  readonly codec: Codec<T>;
  /** The last decoded value: a WeakRef for objects, the value itself for primitives. */
  cached: WeakRef<object> | T | undefined;
}

const PARTS = Symbol("encoded parts");

interface Parts<Spec, Status> {
  readonly spec: Part<Spec>;
  readonly status: Part<Status>;
}

type Holder<Spec, Status> = StoredRecord<Spec, Status> & { readonly [PARTS]: Parts<Spec, Status> };

function decodePart<T>(part: Part<T>): T {
  const cached = part.cached;
  if (cached instanceof WeakRef) {
    const live = cached.deref();
    if (live !== undefined) return live as T;
  } else if (cached !== undefined) {
    return cached;
  }
  const value = deepFreeze(part.codec.decode(part.bytes));
  part.cached = typeof value === "object" && value !== null ? new WeakRef(value) : value;
  return value;
}

// Shared by every record (one function each, not a closure per record); `this` is the record.
function specGetter(this: Holder<unknown, unknown>): unknown {
  return decodePart(this[PARTS].spec);
}
function statusGetter(this: Holder<unknown, unknown>): unknown {
  return decodePart(this[PARTS].status);
}

/**
 * A frozen record over the given bytes. `spec` and `status` are own enumerable getters, so spreading or
 * comparing a record sees them as plain values; the bytes stay out of sight (a non-enumerable symbol).
 */
export function encodedRecord<Spec, Status>(
  metadata: ObjectMeta,
  spec: { bytes: Uint8Array; codec: Codec<Spec> },
  status: { bytes: Uint8Array; codec: Codec<Status> },
): StoredRecord<Spec, Status> {
  const parts: Parts<Spec, Status> = {
    spec: { ...spec, cached: undefined },
    status: { ...status, cached: undefined },
  };
  const record = Object.defineProperties(
    { metadata: deepFreeze(metadata) },
    {
      spec: { get: specGetter, enumerable: true },
      status: { get: statusGetter, enumerable: true },
      [PARTS]: { value: parts },
    },
  );
  return Object.freeze(record) as StoredRecord<Spec, Status>;
}

/** The bytes a record of this store was written with. */
export function specBytesOf(record: StoredRecord<unknown, unknown>): Uint8Array {
  return (record as Holder<unknown, unknown>)[PARTS].spec.bytes;
}

export function statusBytesOf(record: StoredRecord<unknown, unknown>): Uint8Array {
  return (record as Holder<unknown, unknown>)[PARTS].status.bytes;
}
