import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Channel } from "./channels.js";
import {
  handleRemoteCommandUpgrade,
  MAX_CLIENT_MESSAGE_BYTES,
  type RemoteCommandOptions,
} from "./remote-command-upgrade.js";

/** A console whose guest prints without pause: produces 64 KiB whenever it is read. */
class FloodingConsole extends Duplex {
  produced = 0;
  override _read(): void {
    this.produced += 65536;
    this.push(Buffer.alloc(65536, 0x79));
  }
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function serve(stream: Duplex, options: RemoteCommandOptions): Promise<string> {
  server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) =>
    handleRemoteCommandUpgrade(req, socket, head, async () => stream, options),
  );
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/exec/t`;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("remotecommand session bounds", () => {
  it("pauses a flooding console while the client reads nothing, then closes the idle session", async () => {
    const console = new FloodingConsole();
    const ended: string[] = [];
    const url = await serve(console, { idleTimeoutMs: 1500, onSessionEnd: (reason) => ended.push(reason) });
    const ws = new WebSocket(url, ["v5.channel.k8s.io"]);
    await new Promise((resolve) => ws.once("open", resolve));
    // The client stops reading: its socket is paused, what the server sends piles up in buffers.
    ws.pause();
    await until(() => ended.length > 0, "the session closed as idle");
    expect(ended).toEqual(["idle"]);
    // Loopback socket buffers take some MiB; the console was not drained beyond them and the queue bound.
    expect(console.produced).toBeLessThan(32 * 1024 * 1024);
    ws.terminate();
  });

  it("closes a session whose client sends a message over the limit", async () => {
    const ended: string[] = [];
    const url = await serve(new FloodingConsole(), { onSessionEnd: (reason) => ended.push(reason) });
    const ws = new WebSocket(url, ["v5.channel.k8s.io"]);
    await new Promise((resolve) => ws.once("open", resolve));
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.alloc(MAX_CLIENT_MESSAGE_BYTES + 1)]));
    // 1009 (message too big) when the close frame gets through; the server drops the connection either way.
    expect([1006, 1009]).toContain(await closed);
    await until(() => ended.length > 0, "the session ended");
  });

  it("ends a busy session at its absolute limit", async () => {
    const ended: string[] = [];
    const url = await serve(new FloodingConsole(), {
      maxSessionMs: 500,
      onSessionEnd: (reason) => ended.push(reason),
    });
    const ws = new WebSocket(url, ["v5.channel.k8s.io"]);
    ws.on("message", () => {});
    await until(() => ended.length > 0, "the session ended");
    expect(ended).toEqual(["too long"]);
    ws.terminate();
  });
});
