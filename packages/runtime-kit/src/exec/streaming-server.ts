import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "../logging.js";
import { parseHostPort } from "../net-address.js";
import { ExecTokens } from "./exec-tokens.js";

/** One authorised exec session: the HTTP upgrade request for the machine its token was issued for. */
export interface ExecSession {
  readonly machineId: string;
  readonly request: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
}

export interface StreamingServerOptions {
  /** host:port to listen on; port 0 picks one. */
  address: string;
  /** Absolute URL prefix handed out by Exec; empty: http://<bound address>. */
  baseUrl: string;
  logger: Logger;
  /** Speaks the streaming protocol (Kubernetes remotecommand) on an authorised upgrade. */
  serve(session: ExecSession): void;
  tokens?: ExecTokens;
  /** Open sessions allowed per machine and in all; an upgrade beyond either is refused (429). */
  maxSessionsPerMachine?: number;
  maxSessions?: number;
}

export interface StreamingServer {
  /** A single-use URL `<base-url>/exec/<token>` for the machine (valid 60 s). */
  execUrl(machineId: string): string;
  readonly port: number;
  close(): Promise<void>;
}

const EXEC_PATH = /^\/exec\/([A-Za-z0-9_-]{16,128})$/;

/**
 * The HTTP server behind Exec URLs. A token is consumed by the first request that presents it, whether or
 * not that request succeeds, so a URL that leaked after use opens nothing.
 */
export async function startStreamingServer(options: StreamingServerOptions): Promise<StreamingServer> {
  const tokens = options.tokens ?? new ExecTokens();
  const maxPerMachine = options.maxSessionsPerMachine ?? 4;
  const maxSessions = options.maxSessions ?? 64;
  /** Open sessions by machine id. */
  const open = new Map<string, number>();
  /** Sockets of open sessions: upgraded connections are the server's no more, so close() ends them itself. */
  const sockets = new Set<Duplex>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Every remotecommand client upgrades; a plain request still uses up its token.
    const machineId = authorise(req.url);
    res.writeHead(machineId === undefined ? 404 : 400, { "content-type": "text/plain" });
    res.end(
      machineId === undefined
        ? "unknown or expired exec token\n"
        : "exec needs an upgrade to a streaming protocol\n",
    );
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const machineId = authorise(request.url);
    if (machineId === undefined) {
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n\r\nunknown or expired exec token\n");
      return;
    }
    const refusal =
      (open.get(machineId) ?? 0) >= maxPerMachine
        ? `machine ${machineId} has ${maxPerMachine} exec sessions open already`
        : sockets.size >= maxSessions
          ? `${maxSessions} exec sessions are open already`
          : undefined;
    if (refusal !== undefined) {
      options.logger.warn({ machineId, refusal }, "exec session refused");
      socket.end(`HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n\r\n${refusal}\n`);
      return;
    }
    open.set(machineId, (open.get(machineId) ?? 0) + 1);
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      const left = (open.get(machineId) ?? 1) - 1;
      if (left === 0) open.delete(machineId);
      else open.set(machineId, left);
    });
    options.logger.info({ machineId }, "exec session opened");
    try {
      options.serve({ machineId, request, socket, head });
    } catch (err) {
      options.logger.warn({ machineId, error: (err as Error).message }, "exec session failed");
      socket.destroy();
    }
  });
  function authorise(url: string | undefined): string | undefined {
    const match = EXEC_PATH.exec(new URL(url ?? "/", "http://exec").pathname);
    return match?.[1] === undefined ? undefined : tokens.consume(match[1]);
  }
  const { host, port } = parseHostPort(options.address, "streaming address");
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const base = (options.baseUrl || `http://${formatHost(bound.address)}:${bound.port}`).replace(/\/+$/, "");
  return {
    port: bound.port,
    execUrl: (machineId) => `${base}/exec/${tokens.issue(machineId)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function formatHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}
