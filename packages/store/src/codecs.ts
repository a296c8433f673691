import type { Codec } from "./types.js";

// JSON cannot carry bigint or bytes, and internal state needs both (versions, sizes, wrapped keys). They are
// written as one-key tag objects: {"$bigint":"123"} and {"$bytes":"<base64>"}. So that no real object is ever
// mistaken for a tag, every object key of the value that starts with "$" is written with one more "$" and
// unescaped on read: a key with a single leading "$" can only be a tag.

const BIGINT_TAG = "$bigint";
const BYTES_TAG = "$bytes";

/**
 * UTF-8 JSON for plain data (objects, arrays, strings, finite numbers, booleans, null) plus bigint and
 * Uint8Array, which round-trip exactly (a Buffer comes back as a plain Uint8Array). Values JSON would silently change (Map, Set, Date, non-finite
 * numbers) are refused at encode time; properties whose value is undefined are omitted, as in JSON.
 */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (value) => {
      const text = JSON.stringify(value, replace) as string | undefined;
      if (text === undefined) throw new TypeError(`jsonCodec cannot encode ${typeof value}`);
      return encoder.encode(text);
    },
    decode: (bytes) => JSON.parse(decoder.decode(bytes), revive) as T,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function replace(this: unknown, key: string, value: unknown): unknown {
  // `value` has been through toJSON already; the holder still has the original.
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Date || original instanceof Map || original instanceof Set) {
    throw new TypeError(`jsonCodec cannot encode ${original.constructor.name} at key ${JSON.stringify(key)}`);
  }
  if (typeof value === "bigint") return { [BIGINT_TAG]: value.toString() };
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new TypeError(`jsonCodec cannot encode ${value} at key ${JSON.stringify(key)}`);
  }
  // A Buffer arrives here already turned into {type, data} by its toJSON.
  if (original instanceof Uint8Array) return { [BYTES_TAG]: Buffer.from(original).toString("base64") };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.some((k) => k.startsWith("$"))) {
      const escaped: Record<string, unknown> = {};
      for (const k of keys) escaped[k.startsWith("$") ? `$${k}` : k] = (value as Record<string, unknown>)[k];
      return escaped;
    }
  }
  return value;
}

function revive(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  if (keys.length === 1) {
    const tagged = record[BIGINT_TAG];
    if (typeof tagged === "string") return BigInt(tagged);
    const bytes = record[BYTES_TAG];
    if (typeof bytes === "string") return new Uint8Array(Buffer.from(bytes, "base64"));
  }
  if (!keys.some((k) => k.startsWith("$$"))) return value;
  const unescaped: Record<string, unknown> = {};
  for (const k of keys) unescaped[k.startsWith("$$") ? k.slice(1) : k] = record[k];
  return unescaped;
}
