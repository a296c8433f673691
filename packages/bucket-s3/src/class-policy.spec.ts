import { PermanentBackendError } from "@iri/backend-api";
import { describe, expect, it } from "vitest";
import { classPolicyOf } from "./class-policy.js";

const cls = (settings: Record<string, unknown>) => ({ name: "c", tps: 1n, iops: 1n, settings });

describe("class policy", () => {
  it("reads quotas and the delete policy, with no limits and no purging by default", () => {
    expect(classPolicyOf(cls({}))).toEqual({ maxBytes: 0, maxObjects: 0, purgeOnDelete: false });
    expect(classPolicyOf(cls({ maxBytes: 1024, maxObjects: 10, purgeOnDelete: true }))).toEqual({
      maxBytes: 1024,
      maxObjects: 10,
      purgeOnDelete: true,
    });
  });

  it("refuses what it does not understand, naming the class and the setting", () => {
    for (const [settings, what] of [
      [{ maxBytes: -1 }, "maxBytes"],
      [{ maxBytes: 1.5 }, "maxBytes"],
      [{ maxObjects: "10" }, "maxObjects"],
      [{ purgeOnDelete: "yes" }, "purgeOnDelete"],
      [{ quota: 1 }, "unknown setting quota"],
    ] as const) {
      const error = (() => {
        try {
          classPolicyOf(cls(settings));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(PermanentBackendError);
      expect((error as PermanentBackendError).reason).toBe("InvalidBucketClass");
      expect((error as Error).message).toContain("bucket class c");
      expect((error as Error).message).toContain(what);
    }
  });
});
