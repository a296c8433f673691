import { describe, expect, it } from "vitest";
import { singleExtentDiff } from "./rootfs-population.js";

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const piece of stream) out.push(piece);
  return out;
}

describe("singleExtentDiff", () => {
  it("declares the blob as one extent and passes its chunks through as they are", async () => {
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
    expect(pieces.slice(1, 4)).toEqual(chunks);
    for (const [i, chunk] of chunks.entries()) expect(pieces[i + 1]).toBe(chunk);
    expect(seen).toEqual([3, 8, 10]);

    const header = Buffer.from(pieces[0] as Uint8Array);
    const banner = "rbd diff v1\n";
    expect(header.subarray(0, banner.length).toString("latin1")).toBe(banner);
    let at = banner.length;
    expect(String.fromCharCode(header[at] as number)).toBe("t");
    const nameLength = header.readUInt32LE(at + 1);
    expect(header.subarray(at + 5, at + 5 + nameLength).toString("utf8")).toBe("iri-base");
    at += 5 + nameLength;
    expect(String.fromCharCode(header[at] as number)).toBe("s");
    expect(header.readBigUInt64LE(at + 1)).toBe(4096n);
    at += 9;
    expect(String.fromCharCode(header[at] as number)).toBe("w");
    expect(header.readBigUInt64LE(at + 1)).toBe(0n);
    expect(header.readBigUInt64LE(at + 9)).toBe(10n);
    expect(at + 17).toBe(header.length);
    expect(Buffer.from(pieces.at(-1) as Uint8Array).toString("latin1")).toBe("e");
    expect(pieces).toHaveLength(5);
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
