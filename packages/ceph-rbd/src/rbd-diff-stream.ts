import { Readable } from "node:stream";

/** Granularity of zero detection: blocks of this many bytes that are all zero are not written. */
export const SPARSE_BLOCK_BYTES = 64 * 1024;

export interface DiffStreamOptions {
  /** The image size the stream declares (`s` record); at least the source's length. */
  readonly imageBytes: bigint;
  /** Called with the source bytes consumed so far, after each chunk. */
  readonly onProgress?: (bytes: number, writtenBytes: number) => void;
}

/**
 * Turns a byte stream into an `rbd diff v1` stream for `rbd import-diff -`, which writes into an image that
 * already exists (so it can be tagged before any data lands). All-zero blocks are left out, so the image
 * stays sparse: an image that is mostly empty filesystem costs only what it holds.
 *
 * Format (librbd `rbd diff v1`): the banner line, `s` + u64 image size, then `w` + u64 offset + u64 length +
 * data per written extent, and `e` at the end; integers little-endian.
 */
export function sparseDiffStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: DiffStreamOptions,
): Readable {
  return Readable.from(diffRecords(source, options), { objectMode: false });
}

async function* diffRecords(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: DiffStreamOptions,
): AsyncGenerator<Buffer> {
  const header = Buffer.alloc(9);
  header.write("s", 0, "latin1");
  header.writeBigUInt64LE(options.imageBytes, 1);
  yield Buffer.concat([Buffer.from("rbd diff v1\n", "latin1"), header]);

  const zero = Buffer.alloc(SPARSE_BLOCK_BYTES);
  let pending = Buffer.alloc(0);
  let offset = 0n;
  let consumed = 0;
  let written = 0;
  const emit = function* (block: Buffer): Generator<Buffer> {
    const allZero = block.length === SPARSE_BLOCK_BYTES ? block.equals(zero) : isZero(block);
    if (!allZero) {
      const record = Buffer.alloc(17);
      record.write("w", 0, "latin1");
      record.writeBigUInt64LE(offset, 1);
      record.writeBigUInt64LE(BigInt(block.length), 9);
      written += block.length;
      yield record;
      yield block;
    }
    offset += BigInt(block.length);
  };

  for await (const chunk of source) {
    consumed += chunk.length;
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let start = 0;
    while (pending.length - start >= SPARSE_BLOCK_BYTES) {
      // Copies: a yielded block must not alias a buffer the source may reuse.
      yield* emit(Buffer.from(pending.subarray(start, start + SPARSE_BLOCK_BYTES)));
      start += SPARSE_BLOCK_BYTES;
    }
    pending = pending.subarray(start);
    options.onProgress?.(consumed, written);
  }
  if (pending.length > 0) yield* emit(Buffer.from(pending));
  if (offset > options.imageBytes) {
    throw new Error(`the source holds ${offset} bytes, more than the ${options.imageBytes}-byte image`);
  }
  yield Buffer.from("e", "latin1");
}

function isZero(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}
