import { spawn } from "node:child_process";
import { existsSync, lstatSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { type ClientHttp2Session, connect as connectHttp2, constants as http2 } from "node:http2";
import { connect as connectNet, Socket } from "node:net";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { bucket, createRuntimeClient } from "@iri/api";
import { AlreadyExistsError, ConflictError, NotFoundError, StoreError } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
  unavailable,
} from "../errors.js";
import { ProviderMetrics } from "../metrics.js";
import { type CapturedLogger, captureLogger, tempDir, waitFor } from "../testdata/harness.js";
import {
  FrameType,
  grpcHeaders,
  HANDSHAKE,
  PREFACE,
  rawConnection,
  SETTINGS_MAX_CONCURRENT_STREAMS,
  settingValue,
} from "../testdata/raw-http2.js";
import { answerPrepared } from "./prepared-response.js";
import { type RunningServer, serveRuntime } from "./serve.js";
import type { ServeLimits } from "./serve-settings.js";

const ref = { collection: "buckets", kind: "bucket", id: "b1" };
/** CreateBucket answers by the requested id: each id stands for one way a handler can fail. */
const failures: Record<string, () => unknown> = {
  "invalid-argument": () => invalidArgument("bucket.spec.class is required"),
  "not-found": () => notFound('bucket "x" not found'),
  "already-exists": () => alreadyExists('bucket "x" already exists'),
  "failed-precondition": () => failedPrecondition("bucket is not empty"),
  "resource-exhausted": () => resourceExhausted("no quota left"),
  unavailable: () => unavailable("radosgw is down"),
  "store-not-found": () => new NotFoundError(ref),
  "store-already-exists": () => new AlreadyExistsError(ref),
  "store-conflict": () => new ConflictError(ref, 1n, 2n),
  "store-unavailable": () => new StoreError("Unavailable", "database is busy"),
  panic: () => new TypeError("Cannot read properties of undefined (reading 'spec')"),
};

interface Fixture {
  dir: { path: string; remove(): void };
  socketPath: string;
  log: CapturedLogger;
  metrics: ProviderMetrics;
  /** Resolves the pending slow call, if any. */
  release?: () => void;
  slowCallStarted: boolean;
  listSize: number;
  /** Ids of the CreateBucket calls that reached the handler. */
  created: string[];
  /** ListBuckets answers with prepared bytes (answerPrepared). */
  prepared: boolean;
}

let f: Fixture;
let servers: RunningServer[];

beforeEach(() => {
  const dir = tempDir();
  f = {
    dir,
    socketPath: join(dir.path, "p.sock"),
    log: captureLogger(),
    metrics: new ProviderMetrics({ processMetrics: false }),
    slowCallStarted: false,
    listSize: 2,
    created: [],
    prepared: false,
  };
  servers = [];
});

afterEach(async () => {
  for (const s of servers) await s.close();
  f.dir.remove();
});

function routes(router: ConnectRouter) {
  router.service(bucket.BucketRuntime, {
    version: () => ({ runtimeName: "test", runtimeVersion: "0.1.0" }),
    listBucketClasses: () => ({ bucketClasses: [] }),
    listBuckets: (req, context) => {
      const buckets = Array.from({ length: f.listSize }, (_, i) => ({
        metadata: { id: `bucket-${i}`, labels: { "test/uid": "x".repeat(1000) } },
        spec: { class: "standard" },
        status: {},
      }));
      if (f.prepared) {
        const message = toBinary(
          bucket.ListBucketsResponseSchema,
          create(bucket.ListBucketsResponseSchema, { buckets }),
        );
        const enveloped = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
        enveloped.writeUInt32BE(message.length, 1);
        if (answerPrepared(context, enveloped)) {
          if (req.filter?.id === "fail-after-preparing") throw unavailable("the store went away");
          return {};
        }
      }
      return { buckets };
    },
    createBucket: async (req) => {
      const id = req.bucket?.metadata?.id ?? "";
      f.created.push(id);
      if (id === "slow") {
        f.slowCallStarted = true;
        await new Promise<void>((resolve) => {
          f.release = resolve;
        });
        return { bucket: req.bucket };
      }
      // CPU work on the event loop, as a create's decoding, validation and store planning are.
      if (id.startsWith("busy-")) for (const end = performance.now() + 3; performance.now() < end; );
      const failure = failures[id];
      if (failure) throw failure();
      return { bucket: req.bucket };
    },
  });
}

async function serve(
  overrides: {
    shutdownGraceMs?: number;
    socketMode?: number;
    limits?: Partial<ServeLimits>;
    extraSocketPaths?: string[];
    onLargeListResponse?: (method: string, bytes: number) => void | Promise<void>;
  } = {},
) {
  const server = await serveRuntime({
    socketPath: f.socketPath,
    logger: f.log.logger,
    metrics: f.metrics,
    register: routes,
    shutdownGraceMs: 2000,
    ...overrides,
  });
  servers.push(server);
  return server;
}

const client = () => createRuntimeClient(bucket.BucketRuntime, `unix://${f.socketPath}`);

async function codeOf(call: Promise<unknown>): Promise<Code | "OK"> {
  try {
    await call;
    return "OK";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** A socket file left behind by a process that died without cleaning up (kill -9). */
async function leaveStaleSocket(path: string) {
  const child = spawn(
    process.execPath,
    ["-e", 'require("net").createServer().listen(process.argv[1], () => console.log("up"))', path],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("serveRuntime socket handling", () => {
  it("serves gRPC on the socket with mode 0660", async () => {
    await serve();
    const res = await client().version({});
    expect(res.runtimeName).toBe("test");
    expect(lstatSync(f.socketPath).isSocket()).toBe(true);
    expect(statSync(f.socketPath).mode & 0o777).toBe(0o660);
  });

  it("applies a configured socket mode", async () => {
    await serve({ socketMode: 0o600 });
    expect(statSync(f.socketPath).mode & 0o777).toBe(0o600);
  });

  it("replaces a stale socket left by a killed process", async () => {
    await leaveStaleSocket(f.socketPath);
    expect(lstatSync(f.socketPath).isSocket()).toBe(true);
    await serve();
    expect((await client().version({})).runtimeName).toBe("test");
  });

  it("refuses when another server answers on the socket, and leaves it serving", async () => {
    await serve();
    await expect(serve()).rejects.toThrow(`another provider is serving on ${f.socketPath}`);
    expect((await client().version({})).runtimeName).toBe("test");
  });

  it("refuses when the path is not a socket, and leaves the file alone", async () => {
    writeFileSync(f.socketPath, "precious");
    await expect(serve()).rejects.toThrow("is not a socket");
    expect(readFileSync(f.socketPath, "utf8")).toBe("precious");
  });

  it("serves the same service on extra sockets, each with the mode, and removes them all on close", async () => {
    const extra = [join(f.dir.path, "run", "iri-cephd.sock"), join(f.dir.path, "iri-virtd.sock")];
    const server = await serve({ extraSocketPaths: extra, socketMode: 0o600 });
    for (const path of [f.socketPath, ...extra]) {
      const res = await createRuntimeClient(bucket.BucketRuntime, `unix://${path}`).version({});
      expect(res.runtimeName).toBe("test");
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    await server.close();
    for (const path of [f.socketPath, ...extra]) expect(existsSync(path)).toBe(false);
  });

  it("refuses an extra socket path that is a file, binding none of them, and refuses a path given twice", async () => {
    const taken = join(f.dir.path, "taken.sock");
    writeFileSync(taken, "precious");
    await expect(serve({ extraSocketPaths: [taken] })).rejects.toThrow("is not a socket");
    expect(existsSync(f.socketPath)).toBe(false);
    expect(readFileSync(taken, "utf8")).toBe("precious");
    await expect(serve({ extraSocketPaths: [f.socketPath] })).rejects.toThrow("given twice");
  });

  it("lets in-flight calls on an extra socket finish before close resolves", async () => {
    const extra = join(f.dir.path, "extra.sock");
    const server = await serve({ extraSocketPaths: [extra] });
    const slow = createRuntimeClient(bucket.BucketRuntime, `unix://${extra}`).createBucket({
      bucket: { metadata: { id: "slow" } },
    });
    await waitFor(() => f.slowCallStarted, "the slow call to reach its handler");
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    f.release?.();
    expect((await slow).bucket?.metadata?.id).toBe("slow");
    await closing;
    expect(existsSync(extra)).toBe(false);
  });

  it("removes its socket on close", async () => {
    const server = await serve();
    await server.close();
    expect(existsSync(f.socketPath)).toBe(false);
  });
});

describe("serveRuntime shutdown", () => {
  it("lets an in-flight call finish, refuses new connections, then removes the socket", async () => {
    const server = await serve();
    const slow = client().createBucket({ bucket: { metadata: { id: "slow" } } });
    await waitFor(() => f.slowCallStarted, "the slow call to reach its handler");

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    expect(await codeOf(client().version({}))).toBe(Code.Unavailable);
    expect(closed).toBe(false);

    f.release?.();
    expect((await slow).bucket?.metadata?.id).toBe("slow");
    await closing;
    expect(existsSync(f.socketPath)).toBe(false);
  });

  it("cuts calls that outlive the grace period", async () => {
    const server = await serve({ shutdownGraceMs: 50 });
    const slow = codeOf(client().createBucket({ bucket: { metadata: { id: "slow" } } }));
    await waitFor(() => f.slowCallStarted, "the slow call to reach its handler");
    await server.close();
    expect(await slow).not.toBe("OK");
    expect(existsSync(f.socketPath)).toBe(false);
    expect(f.log.text()).toContain("shutdown grace over");
  });
});

describe("serveRuntime error mapping", () => {
  it.each([
    ["invalid-argument", Code.InvalidArgument, "bucket.spec.class is required"],
    ["not-found", Code.NotFound, 'bucket "x" not found'],
    ["already-exists", Code.AlreadyExists, 'bucket "x" already exists'],
    ["failed-precondition", Code.FailedPrecondition, "bucket is not empty"],
    ["resource-exhausted", Code.ResourceExhausted, "no quota left"],
    ["unavailable", Code.Unavailable, "radosgw is down"],
    ["store-not-found", Code.NotFound, 'bucket "b1" not found'],
    ["store-already-exists", Code.AlreadyExists, 'bucket "b1" already exists'],
    ["store-conflict", Code.Aborted, 'bucket "b1" was modified'],
    ["store-unavailable", Code.Unavailable, "database is busy"],
  ])("%s answers code %s with its message", async (id, code, message) => {
    await serve();
    const err = await client()
      .createBucket({ bucket: { metadata: { id } } })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(code);
    expect(err?.rawMessage).toContain(message);
    expect(f.log.text()).not.toContain("unexpected error");
  });

  it("answers a panic with Internal 'internal error', logs the stack once and keeps serving", async () => {
    await serve();
    const err = await client()
      .createBucket({ bucket: { metadata: { id: "panic" } } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Internal);
    expect((err as ConnectError).rawMessage).toBe("internal error");

    const stackLines = f.log.lines().filter((l) => l.msg === "unexpected error in handler");
    expect(stackLines).toHaveLength(1);
    expect(JSON.stringify(stackLines[0])).toContain("TypeError: Cannot read properties of undefined");

    expect((await client().version({})).runtimeName).toBe("test");
  });

  it("answers a malformed request message with an error and keeps serving", async () => {
    await serve();
    const session = connectHttp2("http://localhost", { createConnection: () => connectNet(f.socketPath) });
    const stream = session.request({
      ":method": "POST",
      ":path": "/bucket.v1alpha1.BucketRuntime/CreateBucket",
      "content-type": "application/grpc",
      te: "trailers",
    });
    // A gRPC envelope announcing 5 bytes, followed by bytes that are no valid protobuf.
    stream.end(Buffer.from([0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff]));
    stream.resume();
    const status = await new Promise<string | undefined>((resolve) => {
      stream.on("trailers", (trailers) => resolve(String(trailers["grpc-status"])));
      stream.on("close", () => resolve(undefined));
    });
    session.close();
    expect(status).toBeDefined();
    expect(status).not.toBe("0");
    expect((await client().version({})).runtimeName).toBe("test");
  });

  it("answers Unimplemented for a method the provider does not implement", async () => {
    await serve();
    expect(await codeOf(client().deleteBucket({ bucketId: "x" }))).toBe(Code.Unimplemented);
  });

  it("answers 404 (Unimplemented to a gRPC client) for a path no service has, and keeps serving", async () => {
    await serve();
    const session = connectHttp2("http://localhost", { createConnection: () => connectNet(f.socketPath) });
    const stream = session.request({
      ":method": "POST",
      ":path": "/nothing.v1.Nowhere/Call",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    stream.resume();
    const status = await new Promise<number | undefined>((resolve) => {
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("close", () => resolve(undefined));
    });
    session.close();
    expect(status).toBe(404);
    expect((await client().version({})).runtimeName).toBe("test");
  });
});

describe("serveRuntime call turns", () => {
  it("answers the pool sync's read while creates queued before it still wait for their turn", async () => {
    await serve();
    const c = client();
    await c.version({}); // connected, so that all calls below go out on one connection at once
    const creates = Array.from({ length: 64 }, (_, i) =>
      c.createBucket({ bucket: { metadata: { id: `busy-${i}` } } }),
    );
    const createdWhenAnswered = c.listBucketClasses({}).then(() => f.created.length);
    expect(await createdWhenAnswered).toBeLessThan(32);
    await Promise.all(creates);
    expect(f.created).toHaveLength(64);
  });
});

describe("serveRuntime logging and metrics", () => {
  it("logs one line per call with rpc, code and duration, never the bodies", async () => {
    await serve();
    await client().createBucket({ bucket: { metadata: { id: "ok", labels: { marker: "body-marker-1" } } } });
    await codeOf(client().createBucket({ bucket: { metadata: { id: "not-found" } } }));

    const rpcLines = f.log.lines().filter((l) => l.msg === "rpc");
    expect(rpcLines).toHaveLength(2);
    expect(rpcLines[0]).toMatchObject({ rpc: "bucket.v1alpha1.BucketRuntime/CreateBucket", code: "OK" });
    expect(rpcLines[1]).toMatchObject({ code: "NotFound" });
    expect(typeof rpcLines[0]?.durationMs).toBe("number");
    expect(f.log.text()).not.toContain("body-marker-1");
  });

  it("counts calls per method and code", async () => {
    await serve();
    await client().version({});
    await client().version({});
    await codeOf(client().createBucket({ bucket: { metadata: { id: "not-found" } } }));
    const text = await f.metrics.text();
    expect(text).toContain('iri_grpc_requests_total{method="Version",code="OK"} 2');
    expect(text).toContain('iri_grpc_requests_total{method="CreateBucket",code="NotFound"} 1');
    expect(text).toContain('iri_grpc_request_duration_seconds_count{method="Version",code="OK"} 2');
  });

  it("records the size of the last List response, and warns above 3 MiB", async () => {
    const large: [string, number][] = [];
    await serve({
      onLargeListResponse: (method, bytes) => {
        large.push([method, bytes]);
      },
    });
    const small = await client().listBuckets({});
    const smallBytes = toBinary(
      bucket.ListBucketsResponseSchema,
      create(bucket.ListBucketsResponseSchema, small),
    );
    expect(await f.metrics.text()).toContain(
      `iri_list_response_last_bytes{method="ListBuckets"} ${smallBytes.byteLength}`,
    );
    expect(f.log.text()).not.toContain("4 MiB limit");

    f.listSize = 3300; // ~1 KB each
    await client().listBuckets({});
    const warning = f.log.lines().find((l) => String(l.msg).includes("4 MiB limit"));
    expect(warning).toMatchObject({ method: "ListBuckets" });
    expect(warning?.bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(large).toEqual([["ListBuckets", warning?.bytes]]);
  });

  it.each([
    ["every call answered", false],
    ["the grace over, a call cut", true],
  ])("closes only after the large-List Warning is recorded (%s)", async (_path, callInFlight) => {
    const order: string[] = [];
    // A Warning whose recording takes a while (a busy event store): close() must not overtake it.
    const server = await serve({
      shutdownGraceMs: 50,
      onLargeListResponse: async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        order.push("warning recorded");
      },
    });
    f.listSize = 3300;
    await client().listBuckets({});
    const slow = callInFlight
      ? codeOf(client().createBucket({ bucket: { metadata: { id: "slow" } } }))
      : null;
    if (callInFlight) await waitFor(() => f.slowCallStarted, "the slow call to start");
    await server.close();
    order.push("closed");
    expect(order).toEqual(["warning recorded", "closed"]);
    f.release?.();
    await slow;
  });
});

const LIST_PATH = `/${bucket.BucketRuntime.typeName}/${bucket.BucketRuntime.method.listBuckets.name}`;
const CREATE_PATH = `/${bucket.BucketRuntime.typeName}/${bucket.BucketRuntime.method.createBucket.name}`;
const GRPC_HEADERS = { ":method": "POST", "content-type": "application/grpc", te: "trailers" };

/** A plain socket to the server, writing `bytes` (possibly nothing), then neither writing nor reading. */
async function rawSocket(bytes: Buffer = Buffer.alloc(0)): Promise<Socket> {
  const socket = connectNet(f.socketPath);
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  if (bytes.length > 0) socket.write(bytes);
  return socket;
}

/** Whether the server closed the connection within `ms` (a socket is read from to see the end). */
function closedWithin(emitter: Socket | ClientHttp2Session, ms: number): Promise<boolean> {
  if (emitter.destroyed) return Promise.resolve(true);
  if (emitter instanceof Socket) emitter.resume();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    emitter.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function http2Session(settings: { initialWindowSize?: number } = {}): ClientHttp2Session {
  const session = connectHttp2("http://localhost", {
    createConnection: () => connectNet(f.socketPath),
    settings,
  });
  session.on("error", () => {});
  return session;
}

/** A gRPC message frame: the 5-byte length prefix and the message. */
function grpcFrame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

describe("serveRuntime request size limit", () => {
  it("answers a request above the limit with ResourceExhausted before any handler sees it", async () => {
    // The connect client leaves an answered oversized stream half-open; the grace period ends it.
    await serve({ shutdownGraceMs: 100, limits: { maxRequestBytes: 64 * 1024 } });
    const big = { metadata: { id: "too-big", annotations: { big: "x".repeat(65 * 1024) } } };
    const err = await client()
      .createBucket({ bucket: big })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).rawMessage).toContain("larger than configured readMaxBytes");
    expect(f.created).toEqual([]);

    const fits = { metadata: { id: "fits", annotations: { big: "x".repeat(60 * 1024) } } };
    await client().createBucket({ bucket: fits });
    expect(f.created).toEqual(["fits"]);
  });

  it("defaults to 4 MiB, as grpc-go does", async () => {
    await serve({ shutdownGraceMs: 100 });
    const over = { metadata: { id: "over", labels: { big: "x".repeat(4 * 1024 * 1024) } } };
    expect(await codeOf(client().createBucket({ bucket: over }))).toBe(Code.ResourceExhausted);
    expect(f.created).toEqual([]);
  });
});

/** Clients that leave a connection open in some state no real client would stay in. */
const hostileClients: Record<string, () => Promise<Socket | ClientHttp2Session>> = {
  "a silent socket": () => rawSocket(),
  "the preface only": () => rawSocket(PREFACE),
  "a stream with a zero window": async () => {
    f.listSize = 3000; // ~3 MB: far more than a zero window lets through
    const session = http2Session({ initialWindowSize: 0 });
    const unread = session.request({ ...GRPC_HEADERS, ":path": LIST_PATH });
    unread.on("error", () => {});
    unread.end(grpcFrame(new Uint8Array(0)));
    await new Promise<void>((resolve) => unread.once("response", () => resolve()));
    return session;
  },
  "a half-sent request": async () => {
    const session = http2Session();
    const partial = session.request({ ...GRPC_HEADERS, ":path": CREATE_PATH });
    partial.on("error", () => {});
    partial.write(Buffer.from([0, 0, 0, 4, 0])); // announces 1 KiB, sends none of it
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    return session;
  },
};

describe("serveRuntime shutdown with hostile connections", () => {
  it.each(Object.keys(hostileClients))("closes within the grace period with %s open", async (kind) => {
    const server = await serve({ shutdownGraceMs: 200, limits: { streamStallTimeoutMs: 60_000 } });
    const connection = await (hostileClients[kind] as () => Promise<Socket | ClientHttp2Session>)();
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(200 + 1000);
    expect(await closedWithin(connection, 1000)).toBe(true);
    expect(existsSync(f.socketPath)).toBe(false);
  });
});

describe("serveRuntime connection limits", () => {
  it("closes a connection that never completes the HTTP/2 handshake", async () => {
    await serve({ limits: { handshakeTimeoutMs: 100 } });
    const silent = await rawSocket();
    const prefaceOnly = await rawSocket(PREFACE);
    expect(await closedWithin(silent, 2000)).toBe(true);
    expect(await closedWithin(prefaceOnly, 2000)).toBe(true);
  });

  it("sends GOAWAY to a connection idle past the idle timeout, and keeps busy ones", async () => {
    await serve({ limits: { idleTimeoutMs: 300 } });
    const idle = http2Session();
    const busy = http2Session();
    const slowCall = busy.request({ ...GRPC_HEADERS, ":path": CREATE_PATH });
    slowCall.on("error", () => {});
    slowCall.resume();
    slowCall.end(
      grpcFrame(
        toBinary(
          bucket.CreateBucketRequestSchema,
          create(bucket.CreateBucketRequestSchema, { bucket: { metadata: { id: "slow" } } }),
        ),
      ),
    );
    await waitFor(() => f.slowCallStarted, "the slow call to reach its handler");
    const goaway = new Promise<void>((resolve) => idle.once("goaway", () => resolve()));
    expect(await closedWithin(idle, 3000)).toBe(true);
    await goaway;
    expect(busy.closed || busy.destroyed).toBe(false);
    f.release?.();
    busy.close();
  });

  it("closes connections beyond the maximum at accept", async () => {
    await serve({ limits: { maxConnections: 2 } });
    const first = await rawSocket(HANDSHAKE);
    const second = await rawSocket(HANDSHAKE);
    const third = await rawSocket(HANDSHAKE);
    expect(await closedWithin(third, 2000)).toBe(true);
    expect(first.destroyed || second.destroyed).toBe(false);
    first.destroy();
    second.destroy();
  });

  it("closes a connection that does not acknowledge keep-alive pings; a live client stays", async () => {
    await serve({ limits: { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 100 } });
    const deaf = await rawSocket(HANDSHAKE);
    const live = http2Session();
    expect(await closedWithin(deaf, 2000)).toBe(true);
    expect(await closedWithin(live, 500)).toBe(false);
    live.close();
  });
});

describe("serveRuntime stream limits", () => {
  it("advertises SETTINGS_MAX_CONCURRENT_STREAMS and refuses streams beyond it", async () => {
    await serve({ limits: { maxConcurrentStreams: 2 } });
    // A client that ignores the advertised limit (a well-behaved one queues its streams instead).
    const raw = await rawConnection(f.socketPath, HANDSHAKE);
    for (const streamId of [1, 3, 5]) raw.socket.write(grpcHeaders(streamId, CREATE_PATH));
    const refused = () =>
      raw.frames.some(
        (fr) =>
          (fr.type === FrameType.rstStream &&
            fr.streamId === 5 &&
            fr.payload.readUInt32BE(0) === http2.NGHTTP2_REFUSED_STREAM) ||
          (fr.type === FrameType.goaway && fr.payload.readUInt32BE(0) < 5),
      );
    await waitFor(refused, "stream 5 to be refused");
    const settings = raw.frames.find((fr) => fr.type === FrameType.settings && fr.flags === 0);
    expect(settingValue(settings?.payload ?? Buffer.alloc(0), SETTINGS_MAX_CONCURRENT_STREAMS)).toBe(2);
    expect(f.created).toEqual([]);
    raw.socket.destroy();
  });

  it("resets a call whose request stops arriving, and one whose response is never read", async () => {
    await serve({ limits: { streamStallTimeoutMs: 200 } });
    const halfSent = http2Session();
    const partial = halfSent.request({ ...GRPC_HEADERS, ":path": CREATE_PATH });
    partial.on("error", () => {});
    partial.write(Buffer.from([0, 0, 0, 4, 0]));
    expect(await streamClosedWithin(partial, 2000)).toBe(true);

    f.listSize = 3000;
    const zeroWindow = http2Session({ initialWindowSize: 0 });
    const unread = zeroWindow.request({ ...GRPC_HEADERS, ":path": LIST_PATH });
    unread.on("error", () => {});
    unread.end(grpcFrame(new Uint8Array(0)));
    expect(await streamClosedWithin(unread, 2000)).toBe(true);
    expect(unread.rstCode).toBe(http2.NGHTTP2_CANCEL);
    // The connection itself is fine: calls on it keep working.
    expect((await client().version({})).runtimeName).toBe("test");
    halfSent.destroy();
    zeroWindow.destroy();
  });
});

function streamClosedWithin(
  stream: { closed: boolean; once(e: "close", l: () => void): unknown },
  ms: number,
) {
  if (stream.closed) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    stream.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe("serveRuntime metadata limits", () => {
  const manyLabels = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

  it("refuses labels, selectors and ids past their limits with InvalidArgument before the handler", async () => {
    await serve();
    const tooMany = client().createBucket({ bucket: { metadata: { id: "b", labels: manyLabels(65) } } });
    const err = await tooMany.catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toBe(
      "bucket.metadata.labels has 65 entries; at most 64 are allowed",
    );
    expect(f.created).toEqual([]);

    const selector = client().listBuckets({ filter: { labelSelector: manyLabels(100_000) } });
    expect(await codeOf(selector)).toBe(Code.InvalidArgument);
    expect(await codeOf(client().deleteBucket({ bucketId: "x".repeat(64) }))).toBe(Code.InvalidArgument);
    const annotations = { metadata: { annotations: { "bad key": "" } } };
    expect(await codeOf(client().createBucket({ bucket: annotations }))).toBe(Code.InvalidArgument);
    expect(f.created).toEqual([]);
  });
});

describe("serveRuntime field budget", () => {
  it("refuses a request of 100,000 labels before decoding it, and keeps Version prompt meanwhile", async () => {
    await serve();
    const labels = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, "v"]));
    const err = await client()
      .createBucket({ bucket: { metadata: { id: "flood", labels } } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("more than 10000 fields");
    expect(f.created).toEqual([]);
    // An ordinary request on the same server still gets through.
    await client().createBucket({ bucket: { metadata: { id: "ok", labels: { a: "b" } } } });
    expect(f.created).toEqual(["ok"]);
  });
});

describe("serveRuntime prepared responses", () => {
  it("writes the bytes a handler prepared in place of its empty response, and measures them", async () => {
    await serve();
    f.listSize = 3;
    const normal = await client().listBuckets({});
    f.prepared = true;
    const prepared = await client().listBuckets({});
    expect(prepared.buckets.map((b) => b.metadata?.id)).toEqual(["bucket-0", "bucket-1", "bucket-2"]);
    expect(toBinary(bucket.ListBucketsResponseSchema, prepared)).toEqual(
      toBinary(bucket.ListBucketsResponseSchema, normal),
    );
    const bytes = toBinary(bucket.ListBucketsResponseSchema, normal).length;
    expect(await f.metrics.text()).toContain(`iri_list_response_last_bytes{method="ListBuckets"} ${bytes}`);
    // Other calls on the same connection are untouched.
    expect((await client().version({})).runtimeName).toBe("test");
  });

  it("keeps the error of a call that fails after preparing its bytes", async () => {
    await serve();
    f.prepared = true;
    const err = await client()
      .listBuckets({ filter: { id: "fail-after-preparing" } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect((err as ConnectError).rawMessage).toBe("the store went away");
  });
});
