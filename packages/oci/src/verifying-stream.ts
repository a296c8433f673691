import { Readable, Transform } from "node:stream";
import type { Layer } from "./descriptor.js";
import { digester } from "./digest.js";
import { DigestMismatchError } from "./errors.js";

/**
 * Passes `source` through while hashing and counting it. The stream fails with `DigestMismatchError` as
 * soon as it is longer than `expected.size`, or at its end if size or digest differ, so a consumer that
 * saw `end` has exactly the named content. Errors of `source` are passed through `mapSourceError`.
 */
export function verifyingStream(
  source: Readable,
  expected: Layer,
  what: string,
  mapSourceError: (error: unknown) => unknown,
): Readable {
  const digest = digester(expected.digest);
  let size = 0;
  const verifier = new Transform({
    transform(chunk: Uint8Array, _encoding, callback) {
      size += chunk.length;
      if (size > expected.size) {
        callback(new DigestMismatchError(expected, { size }, `${what} is longer than its size, at least`));
        return;
      }
      digest.hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = digest.digest();
      callback(
        size === expected.size && actual === expected.digest
          ? null
          : new DigestMismatchError(expected, { digest: actual, size }, what),
      );
    },
  });
  source.on("error", (error) => verifier.destroy(mapSourceError(error) as Error));
  // A consumer that stops reading (or fails) releases the connection.
  verifier.on("close", () => source.destroy());
  source.pipe(verifier);
  return verifier;
}

/** Reads a whole small body, failing with `tooLarge()` past `limit` bytes without buffering more. */
export async function readBounded(source: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      source.destroy();
      throw tooLarge();
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

export function bodyStream(body: ReadableStream<Uint8Array> | null): Readable {
  return body === null
    ? Readable.from([])
    : Readable.fromWeb(body as import("node:stream/web").ReadableStream);
}
