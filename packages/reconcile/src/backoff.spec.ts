import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";
import { seededRandom } from "./testdata/helpers.js";

describe("backoffDelay", () => {
  const noJitter = { baseMs: 100, maxMs: 5_000, jitter: 0 };

  it("doubles per attempt from baseMs and stops at maxMs", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelay(attempt, noJitter, Math.random));
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it("stays finite and capped for absurd attempt counts", () => {
    expect(backoffDelay(10_000, noJitter, Math.random)).toBe(5_000);
  });

  it("spreads by at most ±jitter around the capped delay", () => {
    const options = { baseMs: 100, maxMs: 5_000, jitter: 0.25 };
    expect(backoffDelay(3, options, () => 0)).toBe(300);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
    expect(backoffDelay(3, options, () => 0.999_999)).toBe(500);
    const random = seededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) {
      const atCap = backoffDelay(20, options, random);
      expect(atCap).toBeGreaterThanOrEqual(3_750);
      expect(atCap).toBeLessThanOrEqual(6_250);
      seen.add(atCap);
    }
    // Spread means spread: the delays at the cap must not collapse onto a few values.
    expect(seen.size).toBeGreaterThan(500);
  });
});
