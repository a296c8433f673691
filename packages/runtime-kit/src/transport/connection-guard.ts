// Bounds on what one HTTP/2 connection or call can hold: a client that never finishes the handshake, sits idle,
// stops answering pings, never finishes sending a request or never reads its response is cut off, so that
// connections, file descriptors and buffered responses cannot pile up.
import {
  constants,
  type Http2ServerRequest,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import type { Logger } from "../logging.js";
import type { ServeLimits } from "./serve-settings.js";

type SessionLimits = Pick<
  ServeLimits,
  "handshakeTimeoutMs" | "idleTimeoutMs" | "keepaliveIntervalMs" | "keepaliveTimeoutMs"
>;

/** How long a session sent GOAWAY for idleness may take to close before it is destroyed. */
const GOAWAY_CLOSE_MS = 1000;

/** Watches one session from accept to close; every timer is cleared when it closes. */
export function guardSession(session: ServerHttp2Session, limits: SessionLimits, logger: Logger): void {
  const timers = new Set<NodeJS.Timeout>();
  const after = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    timers.add(timer);
    return timer;
  };
  const clear = (timer: NodeJS.Timeout | undefined) => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(timer);
  };
  const cut = (why: string) => {
    if (session.destroyed) return;
    logger.debug({ why }, "closing http2 connection");
    session.destroy();
  };

  // The handshake is over once the client's SETTINGS frame has arrived (it follows the preface).
  const handshake = after(limits.handshakeTimeoutMs, () => cut("no HTTP/2 handshake in time"));
  session.once("remoteSettings", () => clear(handshake));

  let activeStreams = 0;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    idle = after(limits.idleTimeoutMs, () => {
      session.close();
      after(GOAWAY_CLOSE_MS, () => cut("idle"));
    });
  };
  armIdle();
  session.on("stream", (stream) => {
    activeStreams++;
    clear(idle);
    idle = undefined;
    stream.once("close", () => {
      activeStreams--;
      if (activeStreams === 0 && !session.closed) armIdle();
    });
  });

  let keepalive: NodeJS.Timeout | undefined;
  const ping = () => {
    if (session.destroyed || session.closed) return;
    const unanswered = after(limits.keepaliveTimeoutMs, () => cut("keepalive ping not acknowledged"));
    const sent = session.ping((err) => {
      clear(unanswered);
      if (err === null) keepalive = after(limits.keepaliveIntervalMs, ping);
    });
    if (!sent) clear(unanswered);
  };
  if (limits.keepaliveIntervalMs > 0) keepalive = after(limits.keepaliveIntervalMs, ping);

  session.once("close", () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    clear(keepalive);
  });
}

/**
 * Resets a call whose request has not fully arrived within `stallMs` of its start. Listens only: the request
 * ends when connect has read its body.
 */
export function guardRequest(req: Http2ServerRequest, stallMs: number): void {
  const timer = setTimeout(() => resetCall(req.stream), stallMs);
  timer.unref();
  const disarm = () => clearTimeout(timer);
  req.once("end", disarm);
  req.stream.once("close", disarm);
}

/**
 * The response body, with the call reset when the client leaves a chunk unread (flow-control window closed)
 * for `stallMs`: until then the response bytes sit in this process. The writer asks for the next chunk only
 * once the last one is written out (connect-node's universalResponseToNodeResponse waits for "drain"), so the
 * time between handing a chunk over and the next request is the time it took the client to take it.
 */
export async function* guardResponseBody(
  body: AsyncIterable<Uint8Array>,
  stream: ServerHttp2Stream,
  stallMs: number,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    const timer = setTimeout(() => resetCall(stream), stallMs);
    timer.unref();
    try {
      yield chunk;
    } finally {
      clearTimeout(timer);
    }
  }
}

function resetCall(stream: ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
}
