import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { Channel, closedStream, frame, isSupportedProtocol, SUPPORTED_PROTOCOLS } from "./channels.js";

export interface RemoteCommandOptions {
  /** A session without traffic in either direction for this long is closed (0: never). */
  readonly idleTimeoutMs?: number;
  /** Called once per session with why it ended (for logs and metrics); never with stream content. */
  readonly onSessionEnd?: (reason: string) => void;
}

// One server for all upgrades: `noServer` means it only performs handshakes it is handed.
const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => SUPPORTED_PROTOCOLS.find((protocol) => offered.has(protocol)) ?? false,
});

/**
 * Serves one Kubernetes remotecommand session (what `kubectl exec`/`attach` and the machinepoollet's exec
 * proxy speak) over WebSocket, subprotocol `v5.channel.k8s.io` or `v4.channel.k8s.io`, on top of a byte
 * stream such as a serial console: stdin (channel 0) goes to the stream, the stream's bytes go to stdout
 * (channel 1), resize messages (channel 4) are accepted, and when the stream ends the client gets a Success
 * status on the error channel (3) and a normal close. v5's close of stdin (255, 0) stops forwarding input.
 *
 * Call it from an HTTP server's "upgrade" event once the request is authorised (e.g. its exec token was
 * consumed). `openStream` runs after the handshake; when it fails the client gets a Failure status with its
 * message. A request without a supported subprotocol gets HTTP 400 and no upgrade.
 */
export function handleRemoteCommandUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  openStream: () => Promise<Duplex>,
  options: RemoteCommandOptions = {},
): void {
  const offered = (request.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
  if (!offered.some(isSupportedProtocol)) {
    rejectUpgrade(
      socket,
      400,
      `remotecommand needs one of the WebSocket subprotocols ${SUPPORTED_PROTOCOLS.join(", ")}`,
    );
    return;
  }
  server.handleUpgrade(request, socket, head, (ws) => {
    void serveSession(ws, openStream, options);
  });
}

async function serveSession(ws: WebSocket, openStream: () => Promise<Duplex>, options: RemoteCommandOptions) {
  let ended = false;
  const end = (reason: string, status: object) => {
    if (ended) return;
    ended = true;
    clearTimeout(idleTimer);
    if (ws.readyState === ws.OPEN) {
      ws.send(frame(Channel.Error, Buffer.from(JSON.stringify(status))));
      ws.close(1000);
    }
    options.onSessionEnd?.(reason);
  };
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = () => {
    if (!options.idleTimeoutMs) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      end("idle", failure(`no traffic for ${options.idleTimeoutMs} ms`));
      stream?.destroy();
    }, options.idleTimeoutMs);
  };
  let stream: Duplex | undefined;
  let stdinOpen = true;
  const pendingInput: Buffer[] = [];
  ws.on("message", (data: RawData, isBinary: boolean) => {
    touch();
    const message = toBuffer(data);
    if (!isBinary || message.length === 0) return;
    const channel = message[0];
    const payload = message.subarray(1);
    if (channel === Channel.Stdin && stdinOpen) {
      if (stream) stream.write(payload);
      else pendingInput.push(Buffer.from(payload));
    } else if (channel === Channel.Close && closedStream(payload) === Channel.Stdin) {
      stdinOpen = false;
    }
    // Channel.Resize: accepted; a serial console has no window size to set.
  });
  ws.on("close", () => {
    stream?.destroy();
    if (!ended) {
      ended = true;
      clearTimeout(idleTimer);
      options.onSessionEnd?.("client closed");
    }
  });
  ws.on("error", () => ws.terminate());
  touch();

  try {
    stream = await openStream();
  } catch (error) {
    end("stream failed", failure((error as Error).message));
    return;
  }
  if (ended) {
    stream.destroy();
    return;
  }
  for (const chunk of pendingInput.splice(0)) stream.write(chunk);
  stream.on("data", (chunk: Buffer) => {
    touch();
    if (ws.readyState === ws.OPEN) ws.send(frame(Channel.Stdout, chunk));
  });
  stream.on("error", (error) => end("stream error", failure(error.message)));
  stream.on("end", () => end("stream ended", { metadata: {}, status: "Success" }));
  stream.on("close", () => end("stream ended", { metadata: {}, status: "Success" }));
}

function failure(message: string): object {
  return { metadata: {}, status: "Failure", reason: "InternalError", message };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const reason = status === 400 ? "Bad Request" : "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
  );
}
