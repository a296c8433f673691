import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./logging.js";
import type { ProviderMetrics } from "./metrics.js";
import { parseHostPort } from "./net-address.js";

export interface OpsServerOptions {
  /** "host:port", "[::1]:port" or ":port" (all interfaces); port 0 picks a free port. */
  address: string;
  metrics: ProviderMetrics;
  /** Why the provider is not ready (e.g. "starting", "the store cannot commit: …"); undefined when ready. */
  readiness: () => string | undefined;
  logger: Logger;
}

export interface OpsServer {
  /** The port actually bound (differs from the requested one when that was 0). */
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/**
 * Plain HTTP for kubelet probes and Prometheus, kept off the gRPC socket so that scrapes and probes never
 * compete with the poollet's calls: GET /healthz (200 while the process serves), /readyz (200 when ready,
 * else 503 with the reason), /metrics (Prometheus text format).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { host, port } = parseHostPort(options.address, "ops address");
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      options.logger.error({ err, path: req.url }, "ops endpoint failed");
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => options.logger.error({ err }, "ops server error"));
  const bound = server.address() as AddressInfo;
  options.logger.info({ host: bound.address, port: bound.port }, "ops server listening");
  return {
    port: bound.port,
    host: bound.address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: OpsServerOptions): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "method not allowed\n");
  const path = new URL(req.url ?? "/", "http://ops").pathname;
  switch (path) {
    case "/healthz":
      return reply(res, 200, "ok\n");
    case "/readyz": {
      const notReady = options.readiness();
      return notReady === undefined ? reply(res, 200, "ok\n") : reply(res, 503, `not ready: ${notReady}\n`);
    }
    case "/metrics":
      return reply(res, 200, await options.metrics.text(), options.metrics.contentType);
    default:
      return reply(res, 404, "not found\n");
  }
}

function reply(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8") {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
