import { describe, expect, it } from "vitest";
import { singleExtentDiff } from "./rootfs-population.js";

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const piece of stream) out.push(piece);
  return out;
}

/** Reads an `rbd diff v1` stream back: the declared size, the snapshot and the `w` records. */
function parse(stream: Buffer): {
  size: bigint;
  snapshot?: string;
  records: { offset: number; data: Buffer }[];
} {
  const banner = "rbd diff v1\n";
  expect(stream.subarray(0, banner.length).toString("latin1")).toBe(banner);
  let at = banner.length;
  let size = -1n;
  let snapshot: string | undefined;
  const records: { offset: number; data: Buffer }[] = [];
  for (;;) {
    const tag = String.fromCharCode(stream[at] as number);
    at += 1;
    if (tag === "e") break;
    if (tag === "t") {
      const length = stream.readUInt32LE(at);
      snapshot = stream.subarray(at + 4, at + 4 + length).toString("utf8");
      at += 4 + length;
    } else if (tag === "s") {
      size = stream.readBigUInt64LE(at);
      at += 8;
    } else if (tag === "w") {
      const offset = Number(stream.readBigUInt64LE(at));
      const length = Number(stream.readBigUInt64LE(at + 8));
      records.push({ offset, data: stream.subarray(at + 16, at + 16 + length) });
      at += 16 + length;
    } else throw new Error(`unexpected record ${tag}`);
  }
  expect(at).toBe(stream.length);
  return { size, records, ...(snapshot !== undefined ? { snapshot } : {}) };
}

describe("singleExtentDiff", () => {
  it("passes the blob's chunks through as they are, with the snapshot and size first", async () => {
    const chunks = [Buffer.alloc(3, 1), Buffer.alloc(5, 0), Buffer.alloc(2, 7)];
    const seen: number[] = [];
    const pieces = await collect(
      singleExtentDiff(chunks, {
        imageBytes: 4096n,
        bytes: 10,
        snapshot: "iri-base",
        onProgress: (bytes) => seen.push(bytes),
      }),
    );
    // The blob's own buffers, not copies: nothing is scanned or copied in Node.
    for (const chunk of chunks) expect(pieces).toContain(chunk);
    expect(seen).toEqual([3, 8, 10]);
    const { size, snapshot, records } = parse(Buffer.concat(pieces));
    expect(size).toBe(4096n);
    expect(snapshot).toBe("iri-base");
    expect(records).toEqual([{ offset: 0, data: Buffer.concat(chunks) }]);
  });

  it("cuts the blob into records of one RBD object, whatever its chunks", async () => {
    const mib = 1024 * 1024;
    const blob = Buffer.alloc(9 * mib + 123);
    for (let i = 0; i < blob.length; i += 4093) blob[i] = (i % 251) + 1;
    const chunks: Buffer[] = [];
    for (let at = 0, i = 0; at < blob.length; i++) {
      const size = [1, 65_536, 3 * mib + 7, 333_333][i % 4] as number;
      const next = Math.min(blob.length, at + size);
      chunks.push(blob.subarray(at, next));
      at = next;
    }
    const stream = Buffer.concat(
      await collect(singleExtentDiff(chunks, { imageBytes: 16n * BigInt(mib), bytes: blob.length })),
    );
    const { records } = parse(stream);
    expect(records.map((r) => [r.offset, r.data.length])).toEqual([
      [0, 4 * mib],
      [4 * mib, 4 * mib],
      [8 * mib, mib + 123],
    ]);
    expect(Buffer.concat(records.map((r) => r.data)).equals(blob)).toBe(true);
  });

  it("leaves out the snapshot record when none is asked for", async () => {
    const [header] = await collect(singleExtentDiff([Buffer.alloc(1, 1)], { imageBytes: 512n, bytes: 1 }));
    expect(
      Buffer.from(header as Uint8Array)
        .subarray(12, 13)
        .toString("latin1"),
    ).toBe("s");
  });

  it("never ends the stream for a blob of another length than declared", async () => {
    const short = singleExtentDiff([Buffer.alloc(4, 1)], { imageBytes: 512n, bytes: 5 });
    await expect(collect(short)).rejects.toThrow("the blob ended after 4 of its 5 bytes");
    const long = singleExtentDiff([Buffer.alloc(4, 1), Buffer.alloc(4, 1)], { imageBytes: 512n, bytes: 5 });
    await expect(collect(long)).rejects.toThrow("the blob is longer than its declared 5 bytes");
    const large = singleExtentDiff([], { imageBytes: 512n, bytes: 513 });
    await expect(collect(large)).rejects.toThrow("more than the 512-byte image");
  });

  it("fails with the blob's own error (a digest mismatch) before the end record", async () => {
    async function* corrupt(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(4, 1);
      throw new Error("digest mismatch");
    }
    const pieces: Uint8Array[] = [];
    await expect(async () => {
      for await (const piece of singleExtentDiff(corrupt(), { imageBytes: 512n, bytes: 8 }))
        pieces.push(piece);
    }).rejects.toThrow("digest mismatch");
    expect(pieces.map((p) => Buffer.from(p).toString("latin1"))).not.toContain("e");
  });
});
