import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ProviderError } from "./errors.js";
import { requireNonEmpty, requirePresent, requireValidId, validateStringMap } from "./validate.js";

function failure(fn: () => unknown): ProviderError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  return undefined;
}

describe("validation helpers", () => {
  it("requireNonEmpty names the field", () => {
    expect(requireNonEmpty("x", "machine_id")).toBe("x");
    const err = failure(() => requireNonEmpty("", "machine_id"));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.message).toBe("machine_id is required");
    expect(failure(() => requireNonEmpty(undefined, "machine_id"))?.code).toBe(Code.InvalidArgument);
  });

  it("requirePresent refuses missing sub-messages", () => {
    expect(requirePresent({ a: 1 }, "machine.spec")).toEqual({ a: 1 });
    expect(failure(() => requirePresent(undefined, "machine.spec"))?.message).toBe(
      "machine.spec is required",
    );
  });

  it("requireValidId accepts DNS labels and refuses the rest with the field path", () => {
    expect(requireValidId("abc-1", "machine.metadata.id")).toBe("abc-1");
    const err = failure(() => requireValidId("a://b", "machine.metadata.id"));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.message).toContain("machine.metadata.id");
  });

  it("validateStringMap refuses empty keys and accepts empty values", () => {
    expect(failure(() => validateStringMap({ a: "", b: "x" }, "metadata.labels"))).toBeUndefined();
    expect(failure(() => validateStringMap(undefined, "metadata.labels"))).toBeUndefined();
    expect(failure(() => validateStringMap({ "": "x" }, "metadata.labels"))?.message).toBe(
      "metadata.labels has an empty key",
    );
  });
});
