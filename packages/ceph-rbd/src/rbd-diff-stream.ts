import { Readable } from "node:stream";

/** Granularity of zero detection: blocks of this many bytes that are all zero are not written. */
export const SPARSE_BLOCK_BYTES = 64 * 1024;
/** The longest extent one record writes: an RBD object (4 MiB by default). */
const EXTENT_BYTES = 4 * 1024 * 1024;

export interface DiffStreamOptions {
  /** The image size the stream declares (`s` record); at least the source's length. */
  readonly imageBytes: bigint;
  /** A snapshot `rbd import-diff` creates once the whole stream is written (`t` record). */
  readonly toSnapshot?: string;
  /** Called with the source bytes consumed so far, after each chunk. */
  readonly onProgress?: (bytes: number, writtenBytes: number) => void;
}

/**
 * Turns a byte stream into an `rbd diff v1` stream for `rbd import-diff -`, which writes into an image that
 * already exists (so it can be tagged before any data lands). All-zero blocks are left out, so the image
 * stays sparse: an image that is mostly empty filesystem costs only what it holds.
 *
 * Format (librbd `rbd diff v1`): the banner line, optionally `t` + u32 length + name of the snapshot to create,
 * `s` + u64 image size, then `w` + u64 offset + u64 length + data per written extent, and `e` at the end;
 * integers little-endian.
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
  const toSnapshot = options.toSnapshot === undefined ? [] : [snapshotRecord(options.toSnapshot)];
  yield Buffer.concat([Buffer.from("rbd diff v1\n", "latin1"), ...toSnapshot, header]);

  const zero = Buffer.alloc(SPARSE_BLOCK_BYTES);
  let pending: Buffer = Buffer.alloc(0);
  let offset = 0n;
  let consumed = 0;
  let written = 0;
  // Adjacent non-zero blocks are written as one extent (up to EXTENT_BYTES): rbd import-diff issues one write
  // per record, and 64 KiB writes would make it an order of magnitude slower than `rbd import`. The extent's
  // data are views of the source's chunks (contiguous blocks of one chunk are one view): nothing is copied
  // except a block that straddles two chunks.
  let run: Buffer[] = [];
  let runStart = 0n;
  let runBytes = 0;
  let lastBuffer: Buffer | undefined;
  let lastStart = 0;
  let lastEnd = 0;
  const flush = function* (): Generator<Buffer> {
    if (runBytes === 0) return;
    const record = Buffer.alloc(17);
    record.write("w", 0, "latin1");
    record.writeBigUInt64LE(runStart, 1);
    record.writeBigUInt64LE(BigInt(runBytes), 9);
    written += runBytes;
    yield record;
    yield* run;
    run = [];
    runBytes = 0;
    lastBuffer = undefined;
  };
  const add = function* (buffer: Buffer, start: number, end: number): Generator<Buffer> {
    const block = buffer.subarray(start, end);
    if (block.length === SPARSE_BLOCK_BYTES ? block.equals(zero) : isZero(block)) {
      yield* flush();
    } else {
      if (runBytes === 0) runStart = offset;
      if (lastBuffer === buffer && lastEnd === start) {
        lastEnd = end;
        run[run.length - 1] = buffer.subarray(lastStart, lastEnd);
      } else {
        run.push(block);
        lastBuffer = buffer;
        lastStart = start;
        lastEnd = end;
      }
      runBytes += block.length;
      if (runBytes >= EXTENT_BYTES) yield* flush();
    }
    offset += BigInt(block.length);
  };

  for await (const chunk of source) {
    consumed += chunk.length;
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buffer = pending.length === 0 ? view : Buffer.concat([pending, view]);
    const whole = buffer.length - (buffer.length % SPARSE_BLOCK_BYTES);
    for (let start = 0; start < whole; start += SPARSE_BLOCK_BYTES) {
      yield* add(buffer, start, start + SPARSE_BLOCK_BYTES);
    }
    pending = Buffer.from(buffer.subarray(whole));
    options.onProgress?.(consumed, written);
  }
  if (pending.length > 0) yield* add(pending, 0, pending.length);
  yield* flush();
  if (offset > options.imageBytes) {
    throw new Error(`the source holds ${offset} bytes, more than the ${options.imageBytes}-byte image`);
  }
  yield Buffer.from("e", "latin1");
}

function snapshotRecord(name: string): Buffer {
  const bytes = Buffer.from(name, "utf8");
  const record = Buffer.alloc(5);
  record.write("t", 0, "latin1");
  record.writeUInt32LE(bytes.length, 1);
  return Buffer.concat([record, bytes]);
}

function isZero(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}
