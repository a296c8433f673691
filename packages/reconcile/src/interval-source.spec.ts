import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { intervalSource } from "./interval-source.js";

describe("intervalSource", () => {
  it("asks for every key each period until stopped", async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const stop = intervalSource(100, clock).start(
      () => {
        throw new Error("an interval enqueues all keys, not single ones");
      },
      () => at.push(clock.now()),
    );
    await clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
    stop();
    await clock.advance(1_000);
    expect(at).toEqual([100, 200, 300]);
    expect(clock.pendingTimers()).toEqual([]);
  });

  it("rejects a non-positive period", () => {
    expect(() => intervalSource(0)).toThrow(RangeError);
  });
});
