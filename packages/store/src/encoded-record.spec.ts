import { describe, expect, it } from "vitest";
import { jsonCodec } from "./codecs.js";
import { encodedRecord, RecentValues } from "./encoded-record.js";

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
  it("keeps the last decoded values and lets older ones go to a WeakRef", () => {
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
        { bytes: codec.encode({ n }), codec: counting, recent },
        { bytes: codec.encode({ n }), codec: counting, recent },
      ),
    );
    const held = records.map((r) => r.spec);
    expect(held).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const partsOf = (record: object) =>
      (record as Record<symbol, { spec: { cached: unknown } }>)[
        Object.getOwnPropertySymbols(record)[0] as symbol
      ];
    // Three decoded, two kept: the first fell back to a WeakRef.
    expect(partsOf(records[0] as object).spec.cached).toBeInstanceOf(WeakRef);
    expect(partsOf(records[2] as object).spec.cached).toBe(held[2]);
    // Still in use (held here), so the WeakRef answers: the same object, not decoded again.
    expect(records.map((r) => r.spec)).toEqual(held);
    expect(records[0]?.spec).toBe(held[0]);
    expect(decodes).toBe(3);
  });
});
