// A unary gRPC call as bare HTTP/2 (node:http2, no connect): it returns the response exactly as it crossed the
// socket, which is what the floor server replays, and it times transport alone, without message decoding.
import {
  type ClientHttp2Session,
  connect as connectHttp2,
  constants,
  type IncomingHttpHeaders,
} from "node:http2";
import { connect as connectSocket } from "node:net";

export interface RawResponse {
  /** Response headers without HTTP/2 pseudo-headers and `date` (which would be stale when replayed). */
  headers: Record<string, string>;
  /** The response body: gRPC length-prefixed message(s), byte for byte. */
  body: Buffer;
  trailers: Record<string, string>;
}

/** The gRPC envelope of an empty message: no compression flag, length 0. */
export const EMPTY_MESSAGE = Buffer.alloc(5);

export class RawGrpcClient {
  readonly #session: ClientHttp2Session;

  constructor(socketPath: string) {
    this.#session = connectHttp2("http://localhost", { createConnection: () => connectSocket(socketPath) });
    // A session error surfaces in the pending call; unhandled it would crash the bench.
    this.#session.on("error", () => {});
  }

  /** Calls `path` with `body` (an enveloped request) and collects the whole response. */
  async call(path: string, body: Buffer): Promise<RawResponse> {
    const response = await this.#exchange(path, body);
    return { headers: plain(response.headers), body: response.body, trailers: plain(response.trailers) };
  }

  /**
   * Calls `path` with `body` and resolves to the response body alone: the cheap form for a load generator,
   * which only needs grpc-status and the message.
   */
  async unary(path: string, body: Buffer): Promise<Buffer> {
    return (await this.#exchange(path, body)).body;
  }

  /** One call; rejects unless grpc-status is 0. */
  #exchange(
    path: string,
    body: Buffer,
  ): Promise<{ headers: IncomingHttpHeaders; body: Buffer; trailers: IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const stream = this.#session.request({
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: path,
        "content-type": "application/grpc+proto",
        te: "trailers",
      });
      const chunks: Buffer[] = [];
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      stream.on("response", (h) => {
        headers = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => {
        // A trailers-only response (an error) carries grpc-status in the headers.
        const status = trailers["grpc-status"] ?? headers["grpc-status"];
        if (status !== "0") {
          const message = trailers["grpc-message"] ?? headers["grpc-message"];
          reject(new Error(`${path}: grpc-status ${String(status)}: ${String(message)}`));
          return;
        }
        const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        resolve({ headers, body: whole, trailers });
      });
      stream.end(body);
    });
  }

  close(): void {
    this.#session.close();
  }
}

function plain(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith(":") || name === "date" || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
