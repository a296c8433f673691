// The physical floor of a List: an HTTP/2 gRPC server that answers one method with bytes captured from the
// real provider, doing nothing per call but framing them. It runs in a worker thread so that, like the
// provider in its own process, it has an event loop of its own and does not queue behind the client's decode.
import { createServer, type ServerHttp2Session } from "node:http2";
import { parentPort, workerData } from "node:worker_threads";
import type { FloorConfig } from "./floor-server.js";

const config = workerData as FloorConfig;
const body = Buffer.from(config.response.body);
const sessions = new Set<ServerHttp2Session>();

const server = createServer();
server.on("session", (session) => {
  sessions.add(session);
  session.once("close", () => sessions.delete(session));
});
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":path"] !== config.path) {
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": "12",
        "grpc-message": "unimplemented",
      },
      { endStream: true },
    );
    return;
  }
  // A real server has read the request before it knows the answer, so the floor waits for it too.
  stream.resume();
  stream.once("end", () => {
    stream.respond({ ":status": 200, ...config.response.headers }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(config.response.trailers));
    stream.end(body);
  });
});

server.listen(config.socketPath, () => parentPort?.postMessage("listening"));
parentPort?.on("message", (message) => {
  if (message !== "close") return;
  for (const session of sessions) session.destroy();
  server.close(() => parentPort?.postMessage("closed"));
});
