import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../testdata/converge.js";
import { QmpClient, type QmpEvent } from "./qmp-client.js";
import { QmpClosedError, QmpCommandError, QmpTimeoutError } from "./qmp-errors.js";

const options = { timeoutMs: 5000, commandTimeoutMs: 5000 };
const closeAndTrue = (client: QmpClient) => {
  client.close();
  return true;
};

describe("QmpClient against a real QEMU (no guest, paused)", () => {
  let dir: string;
  let qemu: ChildProcess;
  let socket: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iri-qmp-"));
    socket = join(dir, "qmp.sock");
    qemu = spawn(
      "qemu-system-x86_64",
      [
        "-machine",
        "q35,accel=tcg",
        "-nodefaults",
        "-display",
        "none",
        "-S",
        "-qmp",
        `unix:${socket},server=on,wait=off`,
      ],
      {
        stdio: "ignore",
      },
    );
    await eventually(
      async () => await QmpClient.connect(socket, options).then(closeAndTrue, () => undefined),
      "QMP socket up",
      10_000,
    );
  });

  afterAll(async () => {
    qemu.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("runs commands, reports QEMU's errors by class, and delivers events", async () => {
    const client = await QmpClient.connect(socket, options);
    try {
      expect(await client.execute("query-status")).toMatchObject({ status: "prelaunch", running: false });
      const error = await client.execute("no-such-command").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QmpCommandError);
      expect(error).toMatchObject({ command: "no-such-command", errorClass: "CommandNotFound" });
      const events: QmpEvent[] = [];
      client.on("event", (event) => events.push(event));
      await client.execute("cont");
      await client.execute("stop");
      await eventually(
        async () => (events.some((e) => e.event === "STOP") ? true : undefined),
        "STOP event",
        5000,
      );
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(["RESUME", "STOP"]));
    } finally {
      client.close();
    }
  });

  it("fails pending commands with QmpClosedError when QEMU goes away", async () => {
    const client = await QmpClient.connect(socket, options);
    const closed = new Promise<void>((resolve) => client.once("close", resolve));
    await client.execute("quit").catch(() => undefined);
    await closed;
    expect(client.closed).toBe(true);
    await expect(client.execute("query-status")).rejects.toBeInstanceOf(QmpClosedError);
  });
});

describe("QmpClient deadlines", () => {
  it("gives up on a peer that never greets (a fault real QEMU does not produce on demand)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iri-qmp-"));
    const path = join(dir, "silent.sock");
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      await expect(QmpClient.connect(path, { timeoutMs: 300, commandTimeoutMs: 300 })).rejects.toBeInstanceOf(
        QmpTimeoutError,
      );
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the socket when there is nothing to connect to", async () => {
    await expect(QmpClient.connect("/nonexistent/qmp.sock", options)).rejects.toThrow(
      /\/nonexistent\/qmp.sock/,
    );
  });
});
