import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { chmod, lstat, mkdir, rename, rm, stat } from "node:fs/promises";
import { createServer, type ServerHttp2Session } from "node:http2";
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "../logging.js";
import type { ProviderMetrics } from "../metrics.js";
import { createCallHandler } from "./call-handler.js";
import { createCallInterceptor } from "./call-interceptor.js";
import { guardSession } from "./connection-guard.js";
import { resolveServeLimits, type ServeLimits } from "./serve-settings.js";

export interface ServeOptions {
  /** Absolute path of the unix socket, e.g. /var/run/iri-machineprovider.sock. */
  socketPath: string;
  /**
   * Further sockets serving the same service (poollets of older IronCore releases look for other names).
   * Each is bound, checked and removed like socketPath, and has its own maxConnections.
   */
  extraSocketPaths?: readonly string[];
  /** Permission bits of the socket; default 0o660 (owner and group, i.e. the poollet's group). */
  socketMode?: number;
  logger: Logger;
  metrics?: ProviderMetrics;
  /** Registers the runtime service: `(router) => router.service(MachineRuntime, impl)`. */
  register: (router: ConnectRouter) => void;
  /** How long close() lets in-flight calls finish before cutting connections; default 10 s. */
  shutdownGraceMs?: number;
  /** Transport limits (see serveSettings); each one not given takes its default. */
  limits?: Partial<ServeLimits>;
  /**
   * Called (after the warning is logged) for each List response above LIST_WARN_BYTES; close() waits for the
   * promise it returns, if any.
   */
  onLargeListResponse?: (method: string, bytes: number) => void | Promise<void>;
}

export interface RunningServer {
  readonly socketPath: string;
  /**
   * Stops accepting, lets in-flight calls finish (up to shutdownGraceMs), then destroys every connection left,
   * whatever state its client left it in, and removes the socket.
   */
  close(): Promise<void>;
}

/** gRPC List responses above this are warned about: grpc-go clients (the poollets) refuse more than 4 MiB. */
const LIST_WARN_BYTES = 3 * 1024 * 1024;
/** Never compress responses: on a local socket it only costs CPU, and it would hide the real message size. */
const NEVER_COMPRESS = 2 ** 32 - 1;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Serves plaintext HTTP/2 gRPC (what grpc-go and grpc C-core clients speak to `unix://` targets) on a unix
 * socket. The socket is bound under a temporary name, given its mode and then renamed into place, so it is
 * never reachable with the wrong permissions and a stale socket is replaced atomically.
 * Rejects if the path is not a socket or another server answers on it.
 */
export async function serveRuntime(options: ServeOptions): Promise<RunningServer> {
  const { socketPath, logger, metrics } = options;
  const socketPaths = [socketPath, ...(options.extraSocketPaths ?? [])];
  if (new Set(socketPaths).size !== socketPaths.length) {
    throw new Error(`a socket path is given twice: ${socketPaths.join(", ")}`);
  }
  const graceMs = options.shutdownGraceMs ?? 10_000;
  const limits = resolveServeLimits(options.limits);
  for (const path of socketPaths) {
    await mkdir(dirname(path), { recursive: true });
    await refuseIfTaken(path);
  }

  const shutdown = new AbortController();
  // Every in-flight call listens on this signal; Node's default cap of 10 listeners would warn under load.
  setMaxListeners(0, shutdown.signal);
  const router = createConnectRouter({
    interceptors: [createCallInterceptor(logger, metrics)],
    // The poollets speak gRPC only; fewer protocols are fewer parsers exposed to hostile input.
    connect: false,
    grpcWeb: false,
    acceptCompression: [compressionGzip],
    compressMinBytes: NEVER_COMPRESS,
    shutdownSignal: shutdown.signal,
    // Checked against the length prefix before the body is buffered, and again after decompression.
    readMaxBytes: limits.maxRequestBytes,
  });
  options.register(router);
  const server = createServer(
    {
      // Advertised in SETTINGS; nghttp2 refuses (RST_STREAM REFUSED_STREAM) streams beyond it.
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams },
    },
    createCallHandler({
      router,
      logger,
      maxRequestBytes: limits.maxRequestBytes,
      streamStallTimeoutMs: limits.streamStallTimeoutMs,
      onListResponse: (method, bytes) => {
        // close() waits for the report (and its Warning event) of every List answered.
        const report = reportListSize(method, bytes);
        listReports.add(report);
        void report.finally(() => listReports.delete(report));
      },
    }),
  );
  server.maxConnections = limits.maxConnections;
  // Raw sockets too: destroying the session of a client that never sent the HTTP/2 preface leaves its socket
  // open, and server.close() would wait for it for ever.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const sessions = new Set<ServerHttp2Session>();
  // A List response's size is reported when its stream ends, which may be after the client has its answer and
  // after the session closed: close() waits for these, so no Warning is lost to a store closing behind it.
  const listReports = new Set<Promise<void>>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    guardSession(session, limits, logger);
  });
  // A client that goes away mid-call is routine for a long-running server, not an error.
  server.on("sessionError", (err) => logger.debug({ err }, "http2 session error"));

  async function reportListSize(method: string, bytes: number): Promise<void> {
    metrics?.lastListResponseBytes.set({ method }, bytes);
    if (bytes > LIST_WARN_BYTES) {
      logger.warn(
        { method, bytes },
        "List response above 3 MiB, near the 4 MiB limit of grpc-go clients (the poollets)",
      );
      await options.onLargeListResponse?.(method, bytes);
    }
  }

  // The extra sockets hand their connections to the one HTTP/2 server: same handler, limits and sessions.
  const listeners: NetServer[] = [
    server,
    ...socketPaths.slice(1).map(() => {
      const extra = createNetServer((socket) => server.emit("connection", socket));
      extra.maxConnections = limits.maxConnections;
      return extra;
    }),
  ];
  const bound: { path: string; ours: { dev: number; ino: number } }[] = [];
  try {
    for (const [i, listener] of listeners.entries()) {
      const path = socketPaths[i] as string;
      bound.push({ path, ours: await bindSocket(listener, path, options.socketMode ?? 0o660) });
    }
  } catch (err) {
    for (const listener of listeners) listener.close();
    for (const b of bound) await removeIfOurs(b.path, b.ours);
    throw err;
  }
  server.on("error", (err) => logger.error({ err }, "grpc server error"));
  logger.info({ socketPaths }, "serving gRPC");

  let closing: Promise<void> | undefined;
  const close = async () => {
    // Each listener's close waits for the connections it accepted, so all of them together mean drained.
    const drained = Promise.all(
      listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))),
    ).then(() => undefined);
    // GOAWAY: clients open no new streams; each session ends once its in-flight calls have answered.
    for (const session of sessions) session.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    if (await Promise.race([drained.then(() => false), graceOver])) {
      logger.warn({ inFlightSessions: sessions.size, graceMs }, "shutdown grace over, cutting connections");
      shutdown.abort();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await drained;
    }
    clearTimeout(timer);
    // Every path above ends with each stream closed, so each report has started; wait for its event.
    await Promise.allSettled(listReports);
    for (const b of bound) await removeIfOurs(b.path, b.ours);
    logger.info({ socketPaths }, "gRPC server closed");
  };
  return {
    socketPath,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * Binds under a temporary name, sets the mode, then renames into place: the socket is never reachable with the
 * wrong permissions and a stale one is replaced atomically. Returns the identity of the socket file it made.
 */
async function bindSocket(
  listener: NetServer,
  socketPath: string,
  mode: number,
): Promise<{ dev: number; ino: number }> {
  const tempPath = join(dirname(socketPath), `.iri-${process.pid}-${randomBytes(4).toString("hex")}.sock`);
  try {
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(tempPath, () => {
        listener.off("error", reject);
        resolve();
      });
    });
    await chmod(tempPath, mode);
    const ours = await stat(tempPath);
    await rename(tempPath, socketPath);
    return ours;
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
}

async function refuseIfTaken(socketPath: string): Promise<void> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!info.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) throw new Error(`another provider is serving on ${socketPath}`);
}

/** Whether something accepts connections on the socket; a refused connection means a stale socket. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const done = (result: boolean | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    // A listener too busy to accept within the timeout is still alive.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    socket.once("connect", () => done(true));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED" || err.code === "ENOENT") done(false);
      else if (err.code === "EAGAIN") done(true);
      else done(new Error(`cannot tell whether ${socketPath} is in use: ${err.message}`));
    });
  });
}

async function removeIfOurs(socketPath: string, ours: { dev: number; ino: number }): Promise<void> {
  try {
    const now = await lstat(socketPath);
    if (now.dev === ours.dev && now.ino === ours.ino) await rm(socketPath, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
