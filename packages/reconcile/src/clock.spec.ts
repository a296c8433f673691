import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";

describe("FakeClock", () => {
  it("fires due timers in due-time order, at their due time, and timers set on the way", async () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`d@${clock.now()}`), 5);
    }, 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    const cancelled = clock.setTimeout(() => fired.push("never"), 20);
    clock.clearTimeout(cancelled);
    clock.setTimeout(() => fired.push("later"), 100);

    await clock.advance(50);
    expect(fired).toEqual(["a@1010", "b@1010", "d@1015", "c@1030"]);
    expect(clock.now()).toBe(1_050);
    expect(clock.pendingTimers()).toEqual([1_100]);
  });

  it("lets promise chains started by a timer settle before advance resolves", async () => {
    const clock = new FakeClock();
    let done = false;
    clock.setTimeout(async () => {
      await Promise.resolve();
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      done = true;
    }, 1);
    await clock.advance(1);
    expect(done).toBe(true);
  });
});
