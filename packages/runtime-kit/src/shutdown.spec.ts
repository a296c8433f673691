import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { onShutdownSignal } from "./shutdown.js";
import { captureLogger, waitFor } from "./testdata/harness.js";

function setup(handler: () => Promise<void>) {
  const source = new EventEmitter();
  const exits: number[] = [];
  const log = captureLogger();
  const remove = onShutdownSignal(handler, log.logger, {
    source: source as unknown as NodeJS.Process,
    exit: (code) => void exits.push(code),
  });
  return { source, exits, remove, log };
}

describe("onShutdownSignal", () => {
  it.each(["SIGTERM", "SIGINT"])("runs the handler once on %s, then exits 0", async (signal) => {
    let calls = 0;
    const { source, exits } = setup(async () => {
      calls++;
    });
    source.emit(signal, signal);
    await waitFor(() => exits.length > 0, "exit");
    expect(calls).toBe(1);
    expect(exits).toEqual([0]);
  });

  it("exits 1 at once on a second signal while the handler still runs", async () => {
    let finish: () => void = () => {};
    const { source, exits } = setup(() => new Promise<void>((resolve) => (finish = resolve)));
    source.emit("SIGTERM", "SIGTERM");
    source.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([1]);
    finish();
  });

  it("exits 1 when the handler fails", async () => {
    const { source, exits, log } = setup(async () => {
      throw new Error("database would not close");
    });
    source.emit("SIGTERM", "SIGTERM");
    await waitFor(() => exits.length > 0, "exit");
    expect(exits).toEqual([1]);
    expect(log.text()).toContain("database would not close");
  });

  it("can be removed", () => {
    const { source, remove } = setup(async () => {});
    expect(source.listenerCount("SIGTERM")).toBe(1);
    remove();
    expect(source.listenerCount("SIGTERM")).toBe(0);
    expect(source.listenerCount("SIGINT")).toBe(0);
  });
});
