import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

// A unary handler may answer with bytes it encoded earlier instead of a message for connect to serialise:
// serialising a 10 MiB List copies it four times and leaves ~40 MiB of buffers per call, whose collection
// (mark-compact of the whole heap) costs more than writing the bytes. The call handler sends the prepared
// bytes as the response body in place of connect's; interceptors, logging, metrics and errors are unchanged.

/** Filled by the handler, read by the call handler once connect has answered. */
export interface PreparedResponseSlot {
  /** One gRPC length-prefixed message: flag byte 0, 4-byte big-endian length, the encoded message. */
  enveloped?: Uint8Array;
  /** Called once the response stream has closed: the transport holds `enveloped` no longer. */
  onClosed?: () => void;
  /** Set when the response stream has closed (a call reset by its client may close before it answers). */
  closed?: boolean;
}

export const preparedResponseKey = createContextKey<PreparedResponseSlot | undefined>(undefined, {
  description: "prepared response bytes",
});

/**
 * Asks the transport to answer this call with `enveloped` (an already encoded, length-prefixed response
 * message); the handler then returns an empty response message. False when the transport offers no such
 * slot (a client asking for JSON, or a test calling the handler directly): answer normally then.
 * `onClosed` runs once the transport is done with the bytes. False too once the stream has closed: nothing
 * would be written, and `onClosed` would never run.
 */
export function answerPrepared(
  context: HandlerContext | undefined,
  enveloped: Uint8Array,
  onClosed?: () => void,
): boolean {
  const slot = context?.values.get(preparedResponseKey);
  if (slot === undefined || slot.closed === true) return false;
  slot.enveloped = enveloped;
  slot.onClosed = onClosed;
  return true;
}

/**
 * The response body with the prepared bytes in place of the message connect serialised, when the call
 * succeeded. Connect's own body is read to its end first: only then does the trailer hold the call's final
 * status (gRPC: `grpc-status` 0 is success). A failed call keeps connect's body, so its error is unchanged.
 * Nothing here depends on what connect's body holds.
 */
export async function* preparedBody(
  response: UniversalServerResponse,
  enveloped: Uint8Array,
): AsyncGenerator<Uint8Array> {
  const own: Uint8Array[] = [];
  for await (const chunk of response.body ?? []) own.push(chunk);
  if (response.trailer?.get("grpc-status") === "0") yield enveloped;
  else yield* own;
}
