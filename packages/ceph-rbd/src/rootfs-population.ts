import { Readable } from "node:stream";
import type { Rbd } from "./cli/rbd.js";

/**
 * Bytes per `w` record: one RBD object (4 MiB by default). `rbd import-diff` reads a whole record before it
 * writes it, so one record for the whole blob would first read everything and only then write; per object,
 * reading the next record overlaps with writing the last.
 */
const RECORD_BYTES = 4 * 1024 * 1024;

export interface ExtentDiff {
  /** The image size the stream declares. */
  readonly imageBytes: bigint;
  /** The blob's length: its bytes are written from offset 0. */
  readonly bytes: number;
  /** Created by `rbd import-diff` once the whole stream was written, so never on a cut or corrupt one. */
  readonly snapshot?: string;
  /** Called with the bytes written so far, after each chunk. */
  readonly onProgress?: (bytes: number) => void;
}

export interface RootfsPopulation extends ExtentDiff {
  readonly pool: string;
  /** An image that exists already (tagged as ours before any data lands) and is at least `bytes` large. */
  readonly image: string;
  readonly snapshot: string;
  readonly signal: AbortSignal;
}

/**
 * Writes a rootfs blob into an RBD image with one `rbd import-diff -` call, the blob's bytes passed straight
 * through (no copy, no scan in Node): the stream is an `rbd diff v1` header, the blob cut into records of one
 * RBD object each (views of its chunks), and the end record. `rbd import-diff` skips runs of zeros itself (`--sparse-size`, 4 KiB
 * by default, as `rbd import`), so a half-empty filesystem stays thin.
 *
 * `blob` must fail (rather than end) when its content is not what was asked for — `OciClient.openBlob`'s
 * stream checks size and digest on the way and fails at the latest at its end. The failure reaches
 * `rbd import-diff` as a cut stream before the end record, so the tool fails and the snapshot is never made;
 * the call rejects with the blob's error.
 *
 * Format (librbd `rbd diff v1`): the banner line, optionally `t` + u32 length + snapshot name, `s` + u64 image size,
 * `w` + u64 offset + u64 length + data, `e`; integers little-endian.
 */
export async function populateFromBlob(
  rbd: Rbd,
  blob: AsyncIterable<Uint8Array>,
  target: RootfsPopulation,
): Promise<void> {
  const stream = Readable.from(singleExtentDiff(blob, target), { objectMode: false });
  await rbd.importDiff(target.pool, target.image, stream, target.signal);
}

/** The `rbd diff v1` stream that writes `blob` at offset 0, 4 MiB per record (see populateFromBlob). */
export async function* singleExtentDiff(
  blob: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  target: ExtentDiff,
): AsyncGenerator<Uint8Array> {
  if (BigInt(target.bytes) > target.imageBytes) {
    throw new Error(`the blob holds ${target.bytes} bytes, more than the ${target.imageBytes}-byte image`);
  }
  yield diffHeader(target.snapshot, target.imageBytes);
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
        yield writeRecord(written, recordLeft);
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

function diffHeader(snapshot: string | undefined, imageBytes: bigint): Buffer {
  const banner = Buffer.from("rbd diff v1\n", "latin1");
  const toSnapshot: Buffer[] = [];
  if (snapshot !== undefined) {
    const name = Buffer.from(snapshot, "utf8");
    const record = Buffer.alloc(5);
    record.write("t", 0, "latin1");
    record.writeUInt32LE(name.length, 1);
    toSnapshot.push(record, name);
  }
  const size = Buffer.alloc(9);
  size.write("s", 0, "latin1");
  size.writeBigUInt64LE(imageBytes, 1);
  return Buffer.concat([banner, ...toSnapshot, size]);
}

function writeRecord(offset: number, length: number): Buffer {
  const record = Buffer.alloc(17);
  record.write("w", 0, "latin1");
  record.writeBigUInt64LE(BigInt(offset), 1);
  record.writeBigUInt64LE(BigInt(length), 9);
  return record;
}
