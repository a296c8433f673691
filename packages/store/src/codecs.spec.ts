import { describe, expect, it } from "vitest";
import { jsonCodec } from "./codecs.js";

const roundTrip = <T>(value: T): T => {
  const codec = jsonCodec<T>();
  return codec.decode(codec.encode(value));
};

describe("jsonCodec", () => {
  it("round-trips plain data", () => {
    const value = { a: "x", n: 1.5, ok: true, none: null, list: [1, "two", { three: 3 }] };
    expect(roundTrip(value)).toEqual(value);
  });

  it("round-trips bigint values, also beyond 2^53 and negative", () => {
    const value = { size: 2n ** 64n + 1n, nested: [{ at: -5n }], zero: 0n };
    const decoded = roundTrip(value);
    expect(decoded).toEqual(value);
    expect(typeof decoded.zero).toBe("bigint");
  });

  it("round-trips bytes; a Buffer comes back as a Uint8Array with the same bytes", () => {
    const value = { key: new Uint8Array([0, 1, 254, 255]), buf: Buffer.from("hello") };
    const decoded = roundTrip(value);
    expect(decoded.key).toEqual(new Uint8Array([0, 1, 254, 255]));
    expect(Buffer.from(decoded.buf).toString()).toBe("hello");
  });

  it("keeps objects whose keys look like its tags", () => {
    const value = {
      fake: { $bigint: "12" },
      bytes: { $bytes: "AAAA" },
      dollars: { $$x: 1, $y: 2n, z: "$bigint" },
    };
    expect(roundTrip(value)).toEqual(value);
  });

  it("refuses values JSON would silently change", () => {
    const codec = jsonCodec<unknown>();
    expect(() => codec.encode({ at: new Date(0) })).toThrow(/Date/);
    expect(() => codec.encode({ m: new Map() })).toThrow(/Map/);
    expect(() => codec.encode({ s: new Set() })).toThrow(/Set/);
    expect(() => codec.encode({ n: Number.NaN })).toThrow(/NaN/);
    expect(() => codec.encode(undefined)).toThrow(/undefined/);
  });

  it("omits undefined properties, as JSON does", () => {
    expect(roundTrip({ a: 1, b: undefined })).toStrictEqual({ a: 1 });
  });
});
