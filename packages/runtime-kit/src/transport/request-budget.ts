import type { DescMessage } from "@bufbuild/protobuf";
import { requireFieldBudget } from "./field-budget.js";

/** The gRPC length prefix: a compressed-flag byte and a 4-byte big-endian length. */
const ENVELOPE_BYTES = 5;

/**
 * A unary request body that is held until it is complete and has its field budget checked before connect
 * decodes it. Only a body connect would accept is held (one uncompressed message within `maxRequestBytes`);
 * anything else passes through as it came, for connect to refuse. A compressed message is not counted (the
 * poollets do not compress; its decompressed size is still bounded by `maxRequestBytes`).
 */
export async function* budgetRequestFields(
  body: AsyncIterable<Uint8Array>,
  schema: DescMessage,
  maxRequestBytes: number,
): AsyncGenerator<Uint8Array> {
  const held: Uint8Array[] = [];
  let length = 0;
  let expected: number | undefined;
  for await (const chunk of body) {
    if (expected === -1) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    length += chunk.length;
    if (expected === undefined && length >= ENVELOPE_BYTES) {
      const head = held.length === 1 ? chunk : Buffer.concat(held);
      const declared = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(1);
      const checkable = head[0] === 0 && declared <= maxRequestBytes;
      expected = checkable ? ENVELOPE_BYTES + declared : -1;
    }
    if (expected === -1 || (expected !== undefined && length > expected)) {
      expected = -1;
      yield* held.splice(0);
    }
  }
  if (held.length === 0) return;
  const whole = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held);
  if (expected !== undefined && whole.length === expected) {
    requireFieldBudget(schema, whole.subarray(ENVELOPE_BYTES));
  }
  yield whole;
}
