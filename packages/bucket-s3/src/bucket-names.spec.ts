import { describe, expect, it } from "vitest";
import { bucketNameFor, checkInstanceId } from "./bucket-names.js";

describe("bucket names", () => {
  it("uses a generated id as it is", () => {
    const id = "3fd12ed1530afbc71399016634cfa0844b1fcb73ed32d782457ccc3ab0afbea";
    expect(bucketNameFor(id)).toBe(id);
  });

  it("hashes ids that are no valid S3 name, the same way every time", () => {
    for (const id of ["ab", "xn--abc", "name-s3alias", "x--ol-s3", "sthree-a"]) {
      const name = bucketNameFor(id);
      expect(name).toMatch(/^iri-[0-9a-f]{59}$/);
      expect(bucketNameFor(id)).toBe(name);
    }
    expect(bucketNameFor("ab")).not.toBe(bucketNameFor("ac"));
  });

  it("accepts only instance ids safe in user names and tags", () => {
    expect(() => checkInstanceId("a1b2c3d4e5f6")).not.toThrow();
    for (const bad of ["", "has space", "dot.ted", "x".repeat(65)])
      expect(() => checkInstanceId(bad)).toThrow();
  });
});
