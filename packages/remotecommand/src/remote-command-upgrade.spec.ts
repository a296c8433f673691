import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Channel } from "./channels.js";
import { connectRemoteCommand, RemoteCommandError } from "./remote-command-client.js";
import { handleRemoteCommandUpgrade } from "./remote-command-upgrade.js";

/** A stream like a console: echoes what it gets, upper-cased, and ends when it reads "bye". */
class UpperEcho extends Duplex {
  readonly received: string[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString("utf8");
    this.received.push(text);
    if (text === "bye") this.push(null);
    else this.push(Buffer.from(text.toUpperCase()));
    callback();
  }
}

interface Session {
  readonly ws: WebSocket;
  readonly protocol: string;
  readonly stdout: () => string;
  readonly statuses: Array<Record<string, unknown>>;
  readonly closed: Promise<number>;
}

describe("handleRemoteCommandUpgrade (real WebSocket client)", () => {
  let server: Server;
  let url: string;
  let streams: UpperEcho[];
  let openFails = false;

  beforeAll(async () => {
    streams = [];
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on("upgrade", (req, socket, head) =>
      handleRemoteCommandUpgrade(req, socket, head, async () => {
        if (openFails) throw new Error("machine m1 is not running");
        const stream = new UpperEcho();
        streams.push(stream);
        return stream;
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/exec/token?stdin=true&stdout=true&tty=true`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function connect(protocols: string[]): Promise<Session> {
    const ws = new WebSocket(url, protocols);
    let stdout = "";
    const statuses: Array<Record<string, unknown>> = [];
    ws.on("message", (data: Buffer) => {
      if (data[0] === Channel.Stdout) stdout += data.subarray(1).toString("utf8");
      if (data[0] === Channel.Error) statuses.push(JSON.parse(data.subarray(1).toString("utf8")));
    });
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return { ws, protocol: ws.protocol, stdout: () => stdout, statuses, closed };
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it.each([
    ["v5.channel.k8s.io", ["v5.channel.k8s.io", "v4.channel.k8s.io"]],
    ["v4.channel.k8s.io", ["v4.channel.k8s.io", "channel.k8s.io"]],
  ])(
    "speaks %s: stdin to the stream, the stream to stdout, resize accepted, Success at the end",
    async (expected, offered) => {
      const session = await connect(offered);
      expect(session.protocol).toBe(expected);
      session.ws.send(Buffer.concat([Buffer.of(Channel.Resize), Buffer.from('{"Width":120,"Height":40}')]));
      session.ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.from("hello")]));
      await until(() => session.stdout() === "HELLO", "echo on stdout");
      session.ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.from("bye")]));
      expect(await session.closed).toBe(1000);
      expect(session.statuses).toEqual([{ metadata: {}, status: "Success" }]);
      expect(streams.at(-1)?.received).toEqual(["hello", "bye"]);
    },
  );

  it("stops forwarding stdin after a v5 close of stdin, and keeps the output flowing", async () => {
    const session = await connect(["v5.channel.k8s.io"]);
    session.ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.from("a")]));
    await until(() => session.stdout() === "A", "first echo");
    session.ws.send(Buffer.of(Channel.Close, Channel.Stdin));
    session.ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.from("b")]));
    streams.at(-1)?.push(Buffer.from("late output"));
    await until(() => session.stdout() === "Alate output", "output after stdin closed");
    expect(streams.at(-1)?.received).toEqual(["a"]);
    session.ws.close();
    await session.closed;
  });

  it("serves several sessions at once, each on its own stream", async () => {
    const [one, two] = await Promise.all([connect(["v5.channel.k8s.io"]), connect(["v4.channel.k8s.io"])]);
    one?.ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.from("one")]));
    two?.ws.send(Buffer.concat([Buffer.of(Channel.Stdin), Buffer.from("two")]));
    await until(() => one?.stdout() === "ONE" && two?.stdout() === "TWO", "both echoes");
    one?.ws.close();
    two?.ws.close();
  });

  it("reports a stream that cannot be opened as a Failure status with its message", async () => {
    openFails = true;
    try {
      const session = await connect(["v5.channel.k8s.io"]);
      expect(await session.closed).toBe(1000);
      expect(session.statuses).toEqual([
        { metadata: {}, status: "Failure", reason: "InternalError", message: "machine m1 is not running" },
      ]);
    } finally {
      openFails = false;
    }
  });

  it("connectRemoteCommand gives the session as a stream: stdin out, stdout in, ends with the session", async () => {
    const stream = await connectRemoteCommand(url.replace(/^ws/, "http"));
    let out = "";
    stream.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    const ended = new Promise((resolve) => stream.once("end", resolve));
    stream.write("client");
    await until(() => out === "CLIENT", "echo through the client stream");
    stream.write("bye");
    await ended;
    expect(streams.at(-1)?.received).toEqual(["client", "bye"]);
  });

  it("connectRemoteCommand fails the stream with the server's Failure message", async () => {
    openFails = true;
    try {
      const stream = await connectRemoteCommand(url);
      const error = await new Promise<Error>((resolve) => stream.once("error", resolve));
      expect(error).toBeInstanceOf(RemoteCommandError);
      expect(error.message).toBe("machine m1 is not running");
    } finally {
      openFails = false;
    }
  });

  it("answers 400 without upgrading when no supported subprotocol is offered", async () => {
    const { port } = server.address() as AddressInfo;
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        port,
        host: "127.0.0.1",
        path: "/exec/token",
        headers: {
          Connection: "Upgrade",
          Upgrade: "websocket",
          "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Key": Buffer.from("0123456789abcdef").toString("base64"),
          "Sec-WebSocket-Protocol": "SPDY/3.1",
        },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8");
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("upgrade", () => reject(new Error("upgraded")));
      req.on("error", reject);
      req.end();
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain("v5.channel.k8s.io");
  });
});
