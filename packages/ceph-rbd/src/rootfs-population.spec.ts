import { describe, expect, it } from "vitest";
import { extentDiff } from "./rootfs-population.js";

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const piece of stream) out.push(piece);
  return out;
}

/** Reads a diff stream back: the declared size, the snapshot (and its protection, v2) and the `w` records. */
function parse(
  stream: Buffer,
  format: 1 | 2 = 1,
): { size: bigint; snapshot?: string; protect?: boolean; records: { offset: number; data: Buffer }[] } {
  const banner = `rbd diff v${format}\n`;
  expect(stream.subarray(0, banner.length).toString("latin1")).toBe(banner);
  let at = banner.length;
  let size = -1n;
  let snapshot: string | undefined;
  let protect: boolean | undefined;
  const records: { offset: number; data: Buffer }[] = [];
  for (;;) {
    const tag = String.fromCharCode(stream[at] as number);
    at += 1;
    if (tag === "e") break;
    // Format 2: every record but the end one declares the length of what follows.
    const declared = format === 2 ? Number(stream.readBigUInt64LE(at)) : undefined;
    if (format === 2) at += 8;
    const start = at;
    if (tag === "t") {
      const length = stream.readUInt32LE(at);
      snapshot = stream.subarray(at + 4, at + 4 + length).toString("utf8");
      at += 4 + length;
    } else if (tag === "p" && format === 2) {
      protect = stream[at] === 1;
      at += 1;
    } else if (tag === "s") {
      size = stream.readBigUInt64LE(at);
      at += 8;
    } else if (tag === "w") {
      const offset = Number(stream.readBigUInt64LE(at));
      const length = Number(stream.readBigUInt64LE(at + 8));
      records.push({ offset, data: stream.subarray(at + 16, at + 16 + length) });
      at += 16 + length;
    } else throw new Error(`unexpected record ${tag}`);
    if (declared !== undefined) expect(at - start).toBe(declared);
  }
  expect(at).toBe(stream.length);
  return {
    size,
    records,
    ...(snapshot !== undefined ? { snapshot } : {}),
    ...(protect !== undefined ? { protect } : {}),
  };
}

describe("extentDiff", () => {
  it("passes the blob's chunks through as they are, with the snapshot and size first", async () => {
    const chunks = [Buffer.alloc(3, 1), Buffer.alloc(5, 0), Buffer.alloc(2, 7)];
    const seen: number[] = [];
    const pieces = await collect(
      extentDiff(chunks, {
        format: 1,
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

  it("writes the v2 records of an export stream, each with its length, the snapshot protected", async () => {
    const chunks = [Buffer.alloc(5 * 1024 * 1024, 3), Buffer.alloc(7, 9)];
    const stream = Buffer.concat(
      await collect(
        extentDiff(chunks, {
          format: 2,
          imageBytes: 8n << 20n,
          bytes: 5 * 1024 * 1024 + 7,
          snapshot: "iri-base",
          protect: true,
        }),
      ),
    );
    const { size, snapshot, protect, records } = parse(stream, 2);
    expect({ size, snapshot, protect }).toEqual({ size: 8n << 20n, snapshot: "iri-base", protect: true });
    expect(records.map((r) => [r.offset, r.data.length])).toEqual([
      [0, 4 * 1024 * 1024],
      [4 * 1024 * 1024, 1024 * 1024 + 7],
    ]);
    expect(Buffer.concat(records.map((r) => r.data)).equals(Buffer.concat(chunks))).toBe(true);
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
      await collect(extentDiff(chunks, { format: 1, imageBytes: 16n * BigInt(mib), bytes: blob.length })),
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
    const [header] = await collect(
      extentDiff([Buffer.alloc(1, 1)], { format: 1, imageBytes: 512n, bytes: 1 }),
    );
    expect(
      Buffer.from(header as Uint8Array)
        .subarray(12, 13)
        .toString("latin1"),
    ).toBe("s");
  });

  it("never ends the stream for a blob of another length than declared", async () => {
    const short = extentDiff([Buffer.alloc(4, 1)], { format: 1, imageBytes: 512n, bytes: 5 });
    await expect(collect(short)).rejects.toThrow("the blob ended after 4 of its 5 bytes");
    const long = extentDiff([Buffer.alloc(4, 1), Buffer.alloc(4, 1)], {
      format: 1,
      imageBytes: 512n,
      bytes: 5,
    });
    await expect(collect(long)).rejects.toThrow("the blob is longer than its declared 5 bytes");
    const large = extentDiff([], { format: 1, imageBytes: 512n, bytes: 513 });
    await expect(collect(large)).rejects.toThrow("more than the 512-byte image");
  });

  it("fails with the blob's own error (a digest mismatch) before the end record", async () => {
    async function* corrupt(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(4, 1);
      throw new Error("digest mismatch");
    }
    const pieces: Uint8Array[] = [];
    await expect(async () => {
      for await (const piece of extentDiff(corrupt(), { format: 1, imageBytes: 512n, bytes: 8 }))
        pieces.push(piece);
    }).rejects.toThrow("digest mismatch");
    expect(pieces.map((p) => Buffer.from(p).toString("latin1"))).not.toContain("e");
  });
});
