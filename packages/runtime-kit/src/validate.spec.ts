import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ProviderError } from "./errors.js";
import {
  LIMITS,
  requireIdLength,
  requireNonEmpty,
  requireValidId,
  validateAnnotations,
  validateLabels,
  validateStringMap,
} from "./validate.js";

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

  it("validateStringMap bounds the whole map", () => {
    expect(
      failure(() => validateStringMap({ a: "x".repeat(LIMITS.attributeBytes - 1) }, "a")),
    ).toBeUndefined();
    expect(failure(() => validateStringMap({ a: "x".repeat(LIMITS.attributeBytes) }, "a"))?.message).toBe(
      `a is larger than ${LIMITS.attributeBytes} bytes (keys and values)`,
    );
  });
});

/** What the poollets send (docs/reference/poollet-contract.md §2, §4, §5): it must always pass. */
const poolletLabels = {
  "machinepoollet.ironcore.dev/machine-uid": "6f2c1a9e-8d1b-4c55-9f0e-2b7d3c4e5a61",
  "machinepoollet.ironcore.dev/machine-namespace": "default",
  // Kubernetes object names are DNS subdomains of up to 253 characters.
  "machinepoollet.ironcore.dev/machine-name": `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
  "downward-api.machinepoollet.ironcore.dev/root-machine-uid": "6f2c1a9e-8d1b-4c55-9f0e-2b7d3c4e5a61",
  "volumepoollet.ironcore.dev/volume-snapshot-uid": "u",
  "bucketpoollet.ironcore.dev/bucket-name": "",
};
const poolletAnnotations = {
  "machinepoollet.ironcore.dev/machine-generation": "12",
  "machinepoollet.ironcore.dev/irimachine-generation": "0",
  "machinepoollet.ironcore.dev/networkinterfacemapping": JSON.stringify({
    primary: { name: "my-machine-primary", uid: "1b7f1e5c-5c1f-4a3e-9b5e-0f4d2f3b9a10" },
  }),
  "downward-api.machinepoollet.ironcore.dev/owner": "team-a",
};

describe("label and annotation limits", () => {
  it("accepts everything the poollets send", () => {
    expect(failure(() => validateLabels(poolletLabels, "machine.metadata.labels"))).toBeUndefined();
    expect(
      failure(() => validateAnnotations(poolletAnnotations, "machine.metadata.annotations")),
    ).toBeUndefined();
  });

  it.each([
    ["an empty key", { "": "x" }, "is not a qualified name"],
    ["a key with a space", { "a b": "x" }, "is not a qualified name"],
    ["an upper-case prefix", { "Example.com/a": "x" }, "is not a qualified name"],
    ["a name over 63", { [`x/${"n".repeat(64)}`]: "x" }, "is not a qualified name"],
    ["a prefix over 253", { [`${"p".repeat(254)}/n`]: "x" }, "is not a qualified name"],
    ["a value over 1 KiB", { a: "v".repeat(1025) }, "the value is longer than 1024 bytes"],
    [
      "65 labels",
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, ""])),
      "has 65 entries; at most 64 are allowed",
    ],
  ])("refuses labels with %s", (_, labels, message) => {
    const err = failure(() => validateLabels(labels, "volume.metadata.labels"));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.message).toContain("volume.metadata.labels");
    expect(err?.message).toContain(message);
  });

  it("bounds annotations at 256 KiB for keys and values together, as Kubernetes does", () => {
    const fits = { a: "x".repeat(256 * 1024 - 1) };
    expect(failure(() => validateAnnotations(fits, "annotations"))).toBeUndefined();
    const over = { a: "x".repeat(256 * 1024 - 1), b: "" };
    expect(failure(() => validateAnnotations(over, "annotations"))?.message).toBe(
      "annotations is larger than 262144 bytes (keys and values)",
    );
    expect(failure(() => validateAnnotations({ "no/way/": "" }, "annotations"))?.code).toBe(
      Code.InvalidArgument,
    );
  });

  it("quotes at most 100 characters of a bad key", () => {
    const err = failure(() => validateLabels({ [" ".repeat(100_000)]: "" }, "labels"));
    expect(err?.message.length).toBeLessThan(400);
  });

  it("bounds the ids a request names", () => {
    expect(failure(() => requireIdLength("a".repeat(63), "machine_id"))).toBeUndefined();
    expect(failure(() => requireIdLength("a".repeat(64), "machine_id"))?.message).toBe(
      "machine_id is 64 characters long; ids have at most 63",
    );
  });
});
