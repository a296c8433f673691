import { describe, expect, it } from "vitest";
import { noteGuestExit, restartDelayMs, STABLE_RUN_MS } from "./crash-loop.js";
import type { PowerRecord } from "./power-record.js";

describe("crash-loop back-off", () => {
  it("restarts at once after one quick exit, then backs off doubling up to five minutes", () => {
    let record: PowerRecord = { started: true, startedAt: 0 };
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const exited = noteGuestExit(record, 1000);
      delays.push(restartDelayMs(exited));
      // What a restart writes: the count is carried over.
      record = { started: true, startedAt: 0, quickExits: exited.quickExits ?? 0 };
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it("starts the count over after a guest ran stably, and notes an exit only once", () => {
    const looping = { started: true, startedAt: 0, quickExits: 5 };
    const stable = noteGuestExit(looping, STABLE_RUN_MS + 1);
    expect(stable.quickExits).toBe(0);
    expect(restartDelayMs(stable)).toBe(0);
    expect(noteGuestExit(stable, STABLE_RUN_MS + 99_999)).toBe(stable);
  });
});
