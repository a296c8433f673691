import { describe, expect, it } from "vitest";
import { matchesLabels } from "./labels.js";

describe("matchesLabels", () => {
  const labels = { app: "web", tier: "", zone: "a" };

  it("matches everything with an empty or undefined selector", () => {
    expect(matchesLabels(labels, undefined)).toBe(true);
    expect(matchesLabels(labels, {})).toBe(true);
    expect(matchesLabels({}, {})).toBe(true);
  });

  it("requires every pair to be present with an equal value", () => {
    expect(matchesLabels(labels, { app: "web" })).toBe(true);
    expect(matchesLabels(labels, { app: "web", zone: "a" })).toBe(true);
    expect(matchesLabels(labels, { app: "web", zone: "b" })).toBe(false);
    expect(matchesLabels(labels, { app: "web", missing: "x" })).toBe(false);
  });

  it('matches a "" value only against a present key with value ""', () => {
    expect(matchesLabels(labels, { tier: "" })).toBe(true);
    expect(matchesLabels(labels, { missing: "" })).toBe(false);
    expect(matchesLabels(labels, { app: "" })).toBe(false);
  });

  it("does not match keys through the object prototype", () => {
    expect(matchesLabels({}, { constructor: "x" })).toBe(false);
    expect(matchesLabels({}, { toString: "" })).toBe(false);
  });
});
