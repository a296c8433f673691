import { Readable } from "node:stream";
import type { Rbd } from "./cli/rbd.js";

/**
 * Bytes per `w` record: one RBD object (4 MiB by default). `rbd` reads a whole record before it writes it, so
 * one record for the whole blob would first read everything and only then write; per object, reading the
 * next record overlaps with writing the last.
 */
const RECORD_BYTES = 4 * 1024 * 1024;

/** `rbd diff v1` (what `rbd import-diff` reads) or `rbd diff v2` (inside an `rbd import --export-format 2` stream). */
export type DiffFormat = 1 | 2;

export interface ExtentDiff {
  readonly format: DiffFormat;
  /** The image size the stream declares. */
  readonly imageBytes: bigint;
  /** The blob's length: its bytes are written from offset 0. */
  readonly bytes: number;
  /** Created by `rbd` once the whole stream was written, so never on a cut or corrupt one. */
  readonly snapshot?: string;
  /** Format 2 only: `rbd` protects the snapshot right after it made it. */
  readonly protect?: boolean;
  /** Called with the bytes written so far, after each chunk. */
  readonly onProgress?: (bytes: number) => void;
}

export interface CacheImagePopulation {
  readonly pool: string;
  /** Must not exist: `rbd import` creates it. */
  readonly image: string;
  readonly imageBytes: bigint;
  readonly bytes: number;
  /** Made and protected only when the whole blob was written. */
  readonly snapshot: string;
  /** Image metadata, set right after the image is created and before any data lands. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly onProgress?: (bytes: number) => void;
  readonly signal: AbortSignal;
}

/**
 * Creates a cache image from a rootfs blob with one `rbd import --export-format 2 -` process: the stream's
 * header carries the image metadata (set right after the image is created, before any data), its one diff
 * the blob cut into records of one RBD object each (views of the fetched chunks, nothing copied or scanned in
 * Node) and the protected snapshot, which `rbd` makes only after the diff's end record and every write
 * succeeded. `rbd` skips runs of zeros itself (`--sparse-size`, 4 KiB by default), so the image stays thin.
 *
 * `blob` must fail (rather than end) when its content is not what was asked for — `OciClient.openBlob`'s
 * stream checks size and digest on the way and fails at the latest at its end. The failure reaches `rbd` as a
 * stream cut before the end record: the tool fails, never makes the snapshot and removes the image it created
 * (a killed `rbd` leaves an image without the snapshot, which the cache recognises as unfinished). The process
 * starts (authenticates, fetches the maps) while `blob` is still being opened: `blob` is awaited by the stream.
 *
 * Format (librbd `rbd image v2`): the banner, `M` records (key, value), `E`, the diffs banner, the diff count,
 * then the diff (see `extentDiff`); integers little-endian, strings u32-length-prefixed.
 */
export async function populateCacheImage(
  rbd: Rbd,
  blob: Promise<AsyncIterable<Uint8Array>>,
  target: CacheImagePopulation,
): Promise<void> {
  const stream = Readable.from(cacheImageStream(blob, target), { objectMode: false });
  try {
    await rbd.importImage(target.pool, target.image, stream, target.signal);
  } finally {
    // `rbd` may have stopped reading (it failed): the generator is ended, not left waiting.
    stream.destroy();
  }
}

async function* cacheImageStream(
  blob: Promise<AsyncIterable<Uint8Array>>,
  target: CacheImagePopulation,
): AsyncGenerator<Uint8Array> {
  yield imageHeader(target.metadata);
  yield* extentDiff(await blob, {
    format: 2,
    imageBytes: target.imageBytes,
    bytes: target.bytes,
    snapshot: target.snapshot,
    protect: true,
    ...(target.onProgress ? { onProgress: target.onProgress } : {}),
  });
}

/**
 * An `rbd import --export-format 2` stream of an image without data: `rbd` creates it, sets `metadata` and
 * sizes it (the diff's `s` record) in one process.
 */
export function emptyImageStream(imageBytes: bigint, metadata: Readonly<Record<string, string>>): Buffer {
  const diff = diffHeader({ format: 2, imageBytes, bytes: 0 });
  return Buffer.concat([imageHeader(metadata), diff, Buffer.from("e", "latin1")]);
}

/** The banner, one `M` record per metadata key, `E`, and the banner of the one diff that follows. */
function imageHeader(metadata: Readonly<Record<string, string>>): Buffer {
  const header: Buffer[] = [Buffer.from("rbd image v2\n", "latin1")];
  for (const [key, value] of Object.entries(metadata)) {
    header.push(record2("M", Buffer.concat([lengthPrefixed(key), lengthPrefixed(value)])));
  }
  header.push(Buffer.from("E", "latin1"), Buffer.from("rbd image diffs v2\n", "latin1"), u64(1n));
  return Buffer.concat(header);
}

/** The diff that writes `blob` at offset 0, 4 MiB per record (see populateCacheImage). */
export async function* extentDiff(
  blob: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  target: ExtentDiff,
): AsyncGenerator<Uint8Array> {
  if (BigInt(target.bytes) > target.imageBytes) {
    throw new Error(`the blob holds ${target.bytes} bytes, more than the ${target.imageBytes}-byte image`);
  }
  yield diffHeader(target);
  let written = 0;
  // Bytes the current `w` record still expects.
  let recordLeft = 0;
  for await (const chunk of blob) {
    // The record lengths are declared up front: a byte more would be read as the next record.
    if (written + chunk.byteLength > target.bytes) {
      throw new Error(`the blob is longer than its declared ${target.bytes} bytes`);
    }
    for (let at = 0; at < chunk.byteLength; ) {
      if (recordLeft === 0) {
        recordLeft = Math.min(RECORD_BYTES, target.bytes - written);
        yield writeRecord(target.format, written, recordLeft);
      }
      const piece = at === 0 && chunk.byteLength <= recordLeft ? chunk : chunk.subarray(at, at + recordLeft);
      yield piece;
      at += piece.byteLength;
      written += piece.byteLength;
      recordLeft -= piece.byteLength;
    }
    target.onProgress?.(written);
  }
  if (written !== target.bytes) {
    throw new Error(`the blob ended after ${written} of its ${target.bytes} bytes`);
  }
  yield Buffer.from("e", "latin1");
}

/**
 * Banner, then `t` (the snapshot), `p` (its protection, format 2 only) and `s` (the image size). Format 2
 * gives every record but `e` a u64 length after its tag.
 */
function diffHeader(target: ExtentDiff): Buffer {
  const { format } = target;
  const parts: Buffer[] = [Buffer.from(`rbd diff v${format}\n`, "latin1")];
  if (target.snapshot !== undefined) parts.push(record(format, "t", lengthPrefixed(target.snapshot)));
  if (target.protect) {
    if (format !== 2) throw new Error("an rbd diff v1 cannot protect its snapshot");
    parts.push(record2("p", Buffer.from([1])));
  }
  parts.push(record(format, "s", u64(target.imageBytes)));
  return Buffer.concat(parts);
}

/** The head of a `w` record; its `length` data bytes follow. */
function writeRecord(format: DiffFormat, offset: number, length: number): Buffer {
  const extent = Buffer.concat([u64(BigInt(offset)), u64(BigInt(length))]);
  return format === 1
    ? Buffer.concat([Buffer.from("w", "latin1"), extent])
    : Buffer.concat([Buffer.from("w", "latin1"), u64(BigInt(extent.length + length)), extent]);
}

function record(format: DiffFormat, tag: string, body: Buffer): Buffer {
  return format === 1 ? Buffer.concat([Buffer.from(tag, "latin1"), body]) : record2(tag, body);
}

function record2(tag: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(tag, "latin1"), u64(BigInt(body.length)), body]);
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function u64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  return bytes;
}
