import type { Http2ServerRequest } from "node:http2";
import type { DescMessage } from "@bufbuild/protobuf";
import { requireFieldBudget } from "./field-budget.js";

/** The gRPC length prefix: a compressed-flag byte and a 4-byte big-endian length. */
const ENVELOPE_BYTES = 5;

/**
 * Holds a unary request's body until it is complete and checks its field budget before connect decodes it.
 * Only a body connect would accept is held (one uncompressed message within `maxRequestBytes`); anything
 * else passes through as it came, for connect to refuse. A compressed message is not counted (the poollets
 * do not compress; its decompressed size is still bounded by `maxRequestBytes`).
 */
export function budgetRequestFields(
  req: Http2ServerRequest,
  schema: DescMessage,
  maxRequestBytes: number,
): void {
  const read = req[Symbol.asyncIterator].bind(req);
  req[Symbol.asyncIterator] = async function* (): AsyncGenerator<Buffer> {
    const held: Buffer[] = [];
    let length = 0;
    let expected: number | undefined;
    for await (const chunk of read() as AsyncIterable<Buffer>) {
      if (expected === -1) {
        yield chunk;
        continue;
      }
      held.push(chunk);
      length += chunk.length;
      if (expected === undefined && length >= ENVELOPE_BYTES) {
        const head = held.length === 1 ? chunk : Buffer.concat(held);
        const declared = head.readUInt32BE(1);
        const checkable = head[0] === 0 && declared <= maxRequestBytes;
        expected = checkable ? ENVELOPE_BYTES + declared : -1;
      }
      if (expected === -1 || (expected !== undefined && length > expected)) {
        expected = -1;
        yield* held.splice(0);
      }
    }
    if (held.length === 0) return;
    const body = held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held);
    if (expected !== undefined && body.length === expected) {
      requireFieldBudget(schema, body.subarray(ENVELOPE_BYTES));
    }
    yield body;
  } as (typeof req)[typeof Symbol.asyncIterator];
}
