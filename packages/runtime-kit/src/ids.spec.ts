import { describe, expect, it } from "vitest";
import { generateId, isValidId } from "./ids.js";

describe("generateId", () => {
  it("makes 63 lowercase hex characters that are valid ids and do not start with 12 digits", () => {
    for (let i = 0; i < 2000; i++) {
      const id = generateId();
      expect(id).toMatch(/^[0-9a-f]{63}$/);
      expect(id.slice(0, 12)).not.toMatch(/^[0-9]{12}$/);
      expect(isValidId(id)).toBe(true);
    }
  });

  it("does not repeat across many ids", () => {
    const ids = new Set(Array.from({ length: 20_000 }, generateId));
    expect(ids.size).toBe(20_000);
  });
});

describe("isValidId", () => {
  it.each(["a", "0", "abc-123", "a".repeat(63), "machine-1"])("accepts %s", (id) =>
    expect(isValidId(id)).toBe(true),
  );

  it.each(["", "a".repeat(64), "-a", "a-", "Abc", "a_b", "a.b", "a/b", "x://y", "a b", "ä", "a\n"])(
    "rejects %j",
    (id) => expect(isValidId(id)).toBe(false),
  );
});
