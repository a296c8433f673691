import { request } from "node:http";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { captureLogger } from "../testdata/harness.js";
import { ExecTokens, TooManyTokensError } from "./exec-tokens.js";
import { type ExecSession, type StreamingServer, startStreamingServer } from "./streaming-server.js";

const servers: StreamingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(tokens?: ExecTokens) {
  const sessions: string[] = [];
  const server = await startStreamingServer({
    address: "127.0.0.1:0",
    baseUrl: "",
    logger: captureLogger().logger,
    tokens,
    serve: (s: ExecSession) => {
      sessions.push(s.machineId);
      s.socket.end("HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: upgrade\r\n\r\n");
    },
  });
  servers.push(server);
  return { server, sessions };
}

/** Sends an upgrade request; resolves with the status code the server answered. */
function upgrade(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: "upgrade", upgrade: "websocket" } });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("streaming server", () => {
  it("hands out absolute single-use URLs bound to their machine", async () => {
    const { server, sessions } = await start();
    const a = server.execUrl("machine-a");
    const b = server.execUrl("machine-b");
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]{32}$/);
    expect(await upgrade(b)).toBe(101);
    expect(await upgrade(a)).toBe(101);
    expect(sessions).toEqual(["machine-b", "machine-a"]);
    expect(await upgrade(a)).toBe(404);
    expect(await upgrade(a.replace(/exec\/.*/, "exec/not-a-real-token-0123456789"))).toBe(404);
    expect(sessions).toHaveLength(2);
  });

  it("refuses expired tokens, and more than the outstanding maximum", async () => {
    let now = 0;
    const { server, sessions } = await start(new ExecTokens(60_000, 2, () => now));
    const url = server.execUrl("m");
    server.execUrl("m");
    expect(() => server.execUrl("m")).toThrow(TooManyTokensError);
    now = 60_000;
    expect(await upgrade(url)).toBe(404);
    expect(sessions).toEqual([]);
    // Expired tokens no longer count against the maximum.
    expect(server.execUrl("m")).toContain("/exec/");
  });

  it("caps outstanding tokens per machine, so one machine cannot use up every token", async () => {
    const { server } = await start(new ExecTokens(60_000, 1000, Date.now, 2));
    server.execUrl("busy");
    server.execUrl("busy");
    expect(() => server.execUrl("busy")).toThrow(/2 exec sessions of machine busy/);
    expect(server.execUrl("quiet")).toContain("/exec/");
  });

  it("refuses sessions beyond the per-machine and the global cap (429), and frees a slot when one closes", async () => {
    const server = await startStreamingServer({
      address: "127.0.0.1:0",
      baseUrl: "",
      logger: captureLogger().logger,
      maxSessionsPerMachine: 1,
      maxSessions: 2,
      serve: (s) => {
        s.socket.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: upgrade\r\n\r\n");
        // As a WebSocket session does: the client's close ends it (upgraded sockets are half-open otherwise).
        s.socket.on("end", () => s.socket.end());
      },
    });
    servers.push(server);
    const first = await openSession(server.execUrl("a"));
    expect(first.status).toBe(101);
    expect((await openSession(server.execUrl("a"))).status).toBe(429);
    expect((await openSession(server.execUrl("b"))).status).toBe(101);
    expect((await openSession(server.execUrl("c"))).status).toBe(429);
    first.socket?.destroy();
    const deadline = Date.now() + 3000;
    let again = await openSession(server.execUrl("a"));
    while (again.status !== 101 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await openSession(server.execUrl("a"));
    }
    expect(again.status).toBe(101);
  });
});

/** An upgrade request on its own connection; an upgraded socket is returned open (a session in use). */
function openSession(url: string): Promise<{ status: number; socket?: Duplex }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: "upgrade", upgrade: "websocket" } });
    req.on("upgrade", (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on("error", reject);
    req.end();
  });
}
