import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { Channel, closedStream, frame, isSupportedProtocol, SUPPORTED_PROTOCOLS } from "./channels.js";

export interface RemoteCommandOptions {
  /** A session without traffic in either direction for this long is closed (0: never). */
  readonly idleTimeoutMs?: number;
  /** A session is closed this long after it opened, busy or not (0: never). */
  readonly maxSessionMs?: number;
  /** Called once per session with why it ended (for logs and metrics); never with stream content. */
  readonly onSessionEnd?: (reason: string) => void;
}

/**
 * The largest WebSocket message a client may send (ws' default is 100 MiB, all of it buffered before it is
 * looked at). kubectl and client-go send stdin in chunks of at most 32 KiB.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/**
 * Output queued on the WebSocket beyond which the console stream is paused until the client reads again: a
 * stopped client costs at most this much (plus what the stream itself holds), never the guest's whole output.
 */
export const MAX_QUEUED_OUTPUT_BYTES = 256 * 1024;

// One server for all upgrades: `noServer` means it only performs handshakes it is handed.
const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: MAX_CLIENT_MESSAGE_BYTES,
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
    clearTimeout(lifeTimer);
    if (ws.readyState === ws.OPEN) {
      // The closing handshake needs the client's close frame read.
      ws.resume();
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
  const lifeTimer = options.maxSessionMs
    ? setTimeout(() => {
        end("too long", failure(`the session reached its limit of ${options.maxSessionMs} ms`));
        stream?.destroy();
      }, options.maxSessionMs)
    : undefined;
  let stream: Duplex | undefined;
  let stdinOpen = true;
  // Input waits in the socket (not in memory) until the console is open, and whenever it takes no more.
  ws.pause();
  ws.on("message", (data: RawData, isBinary: boolean) => {
    touch();
    const message = toBuffer(data);
    if (!isBinary || message.length === 0) return;
    const channel = message[0];
    const payload = message.subarray(1);
    if (channel === Channel.Stdin && stdinOpen) {
      if (stream && !stream.write(payload)) {
        ws.pause();
        stream.once("drain", () => ws.resume());
      }
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
      clearTimeout(lifeTimer);
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
  ws.resume();
  const output = stream;
  output.on("data", (chunk: Buffer) => {
    touch();
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame(Channel.Stdout, chunk));
    if (ws.bufferedAmount > MAX_QUEUED_OUTPUT_BYTES) {
      output.pause();
      waitForDrain(ws, () => output.resume());
    }
  });
  output.on("error", (error) => end("stream error", failure(error.message)));
  output.on("end", () => end("stream ended", { metadata: {}, status: "Success" }));
  output.on("close", () => end("stream ended", { metadata: {}, status: "Success" }));
}

/** Calls `then` once the client has read what was queued (ws has no drain event: polled while it waits). */
function waitForDrain(ws: WebSocket, then: () => void): void {
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) clearInterval(timer);
    else if (ws.bufferedAmount <= MAX_QUEUED_OUTPUT_BYTES / 2) {
      clearInterval(timer);
      then();
    }
  }, 50);
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
