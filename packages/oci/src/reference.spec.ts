import { describe, expect, it } from "vitest";
import { InvalidReferenceError } from "./errors.js";
import { formatReference, parseReference } from "./reference.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  it("splits registry with port, nested repository and tag", () => {
    expect(parseReference("127.0.0.1:5000/ironcore/os-images/gardenlinux:1443.3")).toEqual({
      registry: "127.0.0.1:5000",
      repository: "ironcore/os-images/gardenlinux",
      tag: "1443.3",
    });
  });

  it("keeps a digest, and the tag beside it", () => {
    expect(parseReference(`ghcr.io/ironcore-dev/os@${DIGEST}`)).toEqual({
      registry: "ghcr.io",
      repository: "ironcore-dev/os",
      digest: DIGEST,
    });
    expect(parseReference(`ghcr.io/os:1.0@${DIGEST}`)).toMatchObject({ tag: "1.0", digest: DIGEST });
  });

  it("defaults the tag to latest and accepts localhost and IPv6 registries", () => {
    expect(parseReference("localhost/os")).toEqual({
      registry: "localhost",
      repository: "os",
      tag: "latest",
    });
    expect(parseReference("[::1]:5000/os:v1")).toMatchObject({ registry: "[::1]:5000", tag: "v1" });
  });

  it.each([
    ["gardenlinux:1.0", /registry\/repository/],
    ["library/gardenlinux:1.0", /not a registry host/],
    ["ghcr.io/Upper/case:1", /not a valid repository/],
    ["ghcr.io/os:bad tag", /not a valid tag/],
    ["ghcr.io/os@sha256:abc", /digest/],
    ["ghcr.io/:1", /not a valid repository/],
  ])("rejects %s", (input, message) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(message);
  });

  it("formats back to the same string", () => {
    for (const input of ["ghcr.io/a/b:1", `127.0.0.1:5000/a@${DIGEST}`, `h.io/a:t@${DIGEST}`]) {
      expect(formatReference(parseReference(input))).toBe(input);
    }
  });
});
