/** The WebSocket subprotocols served, most preferred first. */
export const SUPPORTED_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

export function isSupportedProtocol(protocol: string): boolean {
  return (SUPPORTED_PROTOCOLS as readonly string[]).includes(protocol);
}

/** The first byte of every binary message: which logical stream it belongs to. */
export const Channel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  /** v4+: a JSON metav1.Status when the session ends. */
  Error: 3,
  /** JSON {"Width": n, "Height": n}. */
  Resize: 4,
  /** v5: the sender will write no more on the stream named by the next byte. */
  Close: 255,
} as const;

export function frame(channel: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(channel), payload]);
}

/**
 * The stream a v5 close message names: `[255, id]` as kubectl and client-go send it; the KEP's draft form
 * `[255, 0, id]` (command "half-close", then the id) is read too.
 */
export function closedStream(payload: Uint8Array): number | undefined {
  if (payload.length === 1) return payload[0];
  if (payload.length === 2 && payload[0] === 0) return payload[1];
  return undefined;
}
