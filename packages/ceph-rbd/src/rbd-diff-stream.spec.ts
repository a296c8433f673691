import { describe, expect, it } from "vitest";
import { SPARSE_BLOCK_BYTES, sparseDiffStream } from "./rbd-diff-stream.js";

interface Extent {
  offset: number;
  data: Buffer;
}

/** Reads an `rbd diff v1` stream back: the declared size and the written extents. */
function parse(stream: Buffer): { size: number; extents: Extent[]; snapshot?: string } {
  const banner = "rbd diff v1\n";
  expect(stream.subarray(0, banner.length).toString("latin1")).toBe(banner);
  let at = banner.length;
  let size = -1;
  let snapshot: string | undefined;
  const extents: Extent[] = [];
  for (;;) {
    const tag = String.fromCharCode(stream[at] as number);
    at += 1;
    if (tag === "e") break;
    if (tag === "t") {
      const length = stream.readUInt32LE(at);
      snapshot = stream.subarray(at + 4, at + 4 + length).toString("utf8");
      at += 4 + length;
      continue;
    }
    if (tag === "s") {
      size = Number(stream.readBigUInt64LE(at));
      at += 8;
    } else if (tag === "w") {
      const offset = Number(stream.readBigUInt64LE(at));
      const length = Number(stream.readBigUInt64LE(at + 8));
      extents.push({ offset, data: stream.subarray(at + 16, at + 16 + length) });
      at += 16 + length;
    } else throw new Error(`unexpected record ${tag}`);
  }
  expect(at).toBe(stream.length);
  return { size, extents, ...(snapshot !== undefined ? { snapshot } : {}) };
}

async function collect(chunks: Buffer[], imageBytes: bigint, toSnapshot?: string): Promise<Buffer> {
  const out: Buffer[] = [];
  const options = { imageBytes, ...(toSnapshot !== undefined ? { toSnapshot } : {}) };
  for await (const piece of sparseDiffStream(chunks, options)) out.push(piece as Buffer);
  return Buffer.concat(out);
}

function splitOddly(data: Buffer): Buffer[] {
  const sizes = [1, 4095, 70_000, 65_536, 333_333];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const next = Math.min(data.length, at + (sizes[i % sizes.length] as number));
    chunks.push(data.subarray(at, next));
    at = next;
  }
  return chunks;
}

describe("sparseDiffStream", () => {
  it("reproduces the source from any chunking, leaving out all-zero blocks", async () => {
    const block = SPARSE_BLOCK_BYTES;
    const data = Buffer.alloc(200 * block + 1234);
    data.fill(0xab, 0, 3 * block); // blocks 0-2
    data[10 * block + 5] = 1; // block 10 only
    data.fill(0xcd, 100 * block, 200 * block + 1234); // 100 blocks and a partial tail: more than one extent
    const { size, extents, snapshot } = parse(await collect(splitOddly(data), 16n << 20n, "iri-base"));
    expect(size).toBe(16 << 20);
    expect(snapshot).toBe("iri-base");
    const image = Buffer.alloc(data.length);
    for (const { offset, data: bytes } of extents) bytes.copy(image, offset);
    expect(image.equals(data)).toBe(true);
    const written = extents.reduce((sum, e) => sum + e.data.length, 0);
    expect(written).toBe(3 * block + block + 100 * block + 1234);
    // Adjacent blocks are coalesced into extents of at most 4 MiB.
    expect(extents.length).toBeLessThanOrEqual(4);
    expect(Math.max(...extents.map((e) => e.data.length))).toBeLessThanOrEqual(4 << 20);
  });

  it("reports progress and fails when the source outgrows the image", async () => {
    const seen: number[] = [];
    const source = [Buffer.alloc(100, 1), Buffer.alloc(100, 2)];
    const stream = sparseDiffStream(source, { imageBytes: 150n, onProgress: (bytes) => seen.push(bytes) });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow(/more than the 150-byte image/);
    expect(seen).toEqual([100, 200]);
  });
});
