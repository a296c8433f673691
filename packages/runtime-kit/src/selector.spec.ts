import { describe, expect, it } from "vitest";
import { matchesSelector } from "./selector.js";

describe("matchesSelector (Kubernetes equality-set)", () => {
  const labels = { "machine-uid": "u1", "machine-name": "web", empty: "" };

  it("matches everything with an empty or missing selector", () => {
    expect(matchesSelector(labels, {})).toBe(true);
    expect(matchesSelector(labels, undefined)).toBe(true);
    expect(matchesSelector({}, {})).toBe(true);
  });

  it("needs every pair present with an equal value", () => {
    expect(matchesSelector(labels, { "machine-uid": "u1" })).toBe(true);
    expect(matchesSelector(labels, { "machine-uid": "u1", "machine-name": "web" })).toBe(true);
    expect(matchesSelector(labels, { "machine-uid": "u1", "machine-name": "db" })).toBe(false);
    expect(matchesSelector(labels, { "machine-uid": "U1" })).toBe(false);
  });

  it("does not match an absent key, not even with an empty value", () => {
    expect(matchesSelector(labels, { other: "" })).toBe(false);
    expect(matchesSelector(labels, { empty: "" })).toBe(true);
    expect(matchesSelector({}, { "machine-uid": "" })).toBe(false);
  });

  it("does not match through the prototype", () => {
    expect(matchesSelector({}, { constructor: "function Object() { [native code] }" })).toBe(false);
  });
});
