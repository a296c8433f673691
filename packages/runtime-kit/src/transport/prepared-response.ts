import { createContextKey, type HandlerContext } from "@connectrpc/connect";

// A unary handler may answer with bytes it encoded earlier instead of a message for connect to serialise:
// serialising a 10 MiB List copies it four times and leaves ~40 MiB of buffers per call, whose collection
// (mark-compact of the whole heap) costs more than writing the bytes. serveRuntime writes the prepared
// bytes in place of the (empty) response message; interceptors, logging, metrics and errors are unchanged.

/** Filled by the handler, read by serveRuntime when connect writes the response. */
export interface PreparedResponseSlot {
  /** One gRPC length-prefixed message: flag byte 0, 4-byte big-endian length, the encoded message. */
  enveloped?: Uint8Array;
}

export const preparedResponseKey = createContextKey<PreparedResponseSlot | undefined>(undefined, {
  description: "prepared response bytes",
});

/**
 * Asks the transport to answer this call with `enveloped` (an already encoded, length-prefixed response
 * message); the handler then returns an empty response message. False when the transport offers no such
 * slot (e.g. a test calling the handler directly): answer normally then.
 */
export function answerPrepared(context: HandlerContext | undefined, enveloped: Uint8Array): boolean {
  const slot = context?.values.get(preparedResponseKey);
  if (slot === undefined) return false;
  slot.enveloped = enveloped;
  return true;
}

/** The length-prefix of an empty, uncompressed message: what connect writes for the handler's empty response. */
export function isEmptyEnvelope(chunk: unknown): boolean {
  if (!(chunk instanceof Uint8Array) || chunk.length !== 5) return false;
  return chunk.every((byte) => byte === 0);
}
