// Bare HTTP/2 frames for tests that must behave as no real client would (ignore the server's SETTINGS, never
// acknowledge a ping): just enough of RFC 9113 and RFC 7541 (HPACK literals) to open gRPC streams.
import { connect, type Socket } from "node:net";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export const FrameType = { data: 0, headers: 1, rstStream: 3, settings: 4, ping: 6, goaway: 7 } as const;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 3;
const END_HEADERS = 0x4;
const ACK = 0x1;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function frame(type: number, flags: number, streamId: number, payload = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** The preface, an empty SETTINGS and the ACK of the server's: a complete client handshake. */
export const HANDSHAKE = Buffer.concat([
  PREFACE,
  frame(FrameType.settings, 0, 0),
  frame(FrameType.settings, ACK, 0),
]);

function literal(value: string): Buffer {
  return Buffer.concat([Buffer.from([value.length]), Buffer.from(value)]);
}

/** HEADERS of a gRPC POST to `path`, with the header block in HPACK literals (no dynamic table). */
export function grpcHeaders(streamId: number, path: string): Buffer {
  const block = Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http (static table)
    Buffer.from([0x04]), // :path, literal value without indexing
    literal(path),
    Buffer.from([0x0f, 0x10]), // content-type (static index 31), literal value
    literal("application/grpc"),
    Buffer.from([0x00]), // a literal name and value
    literal("te"),
    literal("trailers"),
  ]);
  return frame(FrameType.headers, END_HEADERS, streamId, block);
}

/** A socket that collects every frame the server sends. */
export interface RawConnection {
  socket: Socket;
  frames: Frame[];
}

export async function rawConnection(
  socketPath: string,
  bytes: Buffer = Buffer.alloc(0),
): Promise<RawConnection> {
  const socket = connect(socketPath);
  const frames: Frame[] = [];
  let pending = Buffer.alloc(0);
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      frames.push({
        type: pending[3] ?? 0,
        flags: pending[4] ?? 0,
        streamId: pending.readUInt32BE(5) & 0x7fffffff,
        payload: pending.subarray(9, 9 + length),
      });
      pending = pending.subarray(9 + length);
    }
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  if (bytes.length > 0) socket.write(bytes);
  return { socket, frames };
}

/** The value of one setting in a SETTINGS payload (6 bytes per setting). */
export function settingValue(payload: Buffer, id: number): number | undefined {
  for (let i = 0; i + 6 <= payload.length; i += 6) {
    if (payload.readUInt16BE(i) === id) return payload.readUInt32BE(i + 2);
  }
  return undefined;
}
