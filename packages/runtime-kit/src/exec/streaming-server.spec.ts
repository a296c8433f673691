import { request } from "node:http";
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
    const req = request(url, { headers: { connection: "upgrade", upgrade: "websocket" } });
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
});
