import { describe, expect, it } from "vitest";
import { jsonCodec } from "./codecs.js";
import { encodedRecord, newPart, partBytes, partHolds, partsOf, RecentValues } from "./encoded-record.js";

const metadata = {
  id: "r",
  labels: {},
  annotations: {},
  generation: 1n,
  createdAt: 0n,
  deletedAt: 0n,
  resourceVersion: 1n,
  finalizers: [],
};

describe("encoded records", () => {
  it("keeps the last decoded values and decodes an older one again when it is read", () => {
    const codec = jsonCodec<{ n: number }>();
    let decodes = 0;
    const counting = {
      encode: codec.encode,
      decode: (bytes: Uint8Array) => {
        decodes += 1;
        return codec.decode(bytes);
      },
    };
    const recent = new RecentValues(2);
    const records = [1, 2, 3].map((n) =>
      encodedRecord(
        { ...metadata, id: `r${n}` },
        newPart(codec.encode({ n }), counting, recent),
        newPart(codec.encode({ n }), counting, recent),
      ),
    );
    const first = records.map((r) => r.spec);
    expect(first).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(decodes).toBe(3);
    // The two last decoded are kept: the same frozen objects, not decoded again.
    expect(records[1]?.spec).toBe(first[1]);
    expect(records[2]?.spec).toBe(first[2]);
    expect(Object.isFrozen(first[2])).toBe(true);
    expect(decodes).toBe(3);
    // The first was dropped: read again, it is decoded again (equal, a new object).
    expect(records[0]?.spec).toEqual(first[0]);
    expect(records[0]?.spec).not.toBe(first[0]);
    expect(decodes).toBe(4);
  });

  it("holds a copy of the bytes, so that neither a larger buffer they came from nor a later change reaches it", () => {
    const codec = jsonCodec<{ n: number }>();
    const pooled = Buffer.from(JSON.stringify({ n: 1 }));
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    const recent = new RecentValues(2);
    const record = encodedRecord(
      metadata,
      newPart(pooled, codec, recent),
      newPart(codec.encode({ n: 2 }), codec, recent),
    );
    const written = Uint8Array.from(pooled);
    pooled.fill(0x20);
    expect(record.spec).toEqual({ n: 1 });
    expect(partBytes(partsOf(record).spec)).toEqual(Buffer.from(written));
    expect(partHolds(partsOf(record).spec, written)).toBe(true);
    expect(partHolds(partsOf(record).spec, codec.encode({ n: 3 }))).toBe(false);
  });

  it("keeps every byte value through its string form", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const part = newPart(all, jsonCodec<unknown>(), new RecentValues(1));
    expect(partBytes(part)).toEqual(Buffer.from(all));
  });

  it("shares one frozen empty value among records without labels, annotations or finalizers", () => {
    const codec = jsonCodec<{ n: number }>();
    const recent = new RecentValues(2);
    const part = () => newPart(codec.encode({ n: 1 }), codec, recent);
    const [a, b] = ["a", "b"].map((id) => encodedRecord({ ...metadata, id, labels: {} }, part(), part()));
    expect(a?.metadata.labels).toBe(b?.metadata.labels);
    expect(a?.metadata.annotations).toBe(b?.metadata.labels);
    expect(a?.metadata.finalizers).toBe(b?.metadata.finalizers);
    expect(Object.isFrozen(a?.metadata.labels)).toBe(true);
    const labelled = encodedRecord({ ...metadata, labels: { k: "v" }, finalizers: ["f"] }, part(), part());
    expect(labelled.metadata.labels).toEqual({ k: "v" });
    expect(labelled.metadata.finalizers).toEqual(["f"]);
  });
});
