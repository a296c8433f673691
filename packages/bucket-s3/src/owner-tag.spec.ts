import { describe, expect, it } from "vitest";
import { creationSid, formatOwnerTag, parseCreationSid, parseOwnerTag } from "./owner-tag.js";

const created = { lineage: "0a1b2c3d4e5f", generation: 42 };

describe("owner tags", () => {
  it("round-trips owner, id, bucket and creation tag; reads tags written before creation tags", () => {
    const tag = { owner: "abc123", id: "b1", bucket: "b1", created };
    expect(parseOwnerTag(formatOwnerTag(tag))).toEqual(tag);
    expect(parseOwnerTag("iri-bucket owner=abc123 id=b1 bucket=b1")).toEqual({
      owner: "abc123",
      id: "b1",
      bucket: "b1",
    });
  });

  it("takes no id that could name anything outside an object's own place", () => {
    expect(parseOwnerTag("iri-bucket owner=abc123 id=../../x bucket=b1")).toBeUndefined();
    expect(parseOwnerTag("some other display name")).toBeUndefined();
  });

  it("carries the creation tag in a policy statement id, and reads nothing else as one", () => {
    expect(creationSid(created)).toMatch(/^[A-Za-z0-9]+$/);
    expect(parseCreationSid(creationSid(created))).toEqual(created);
    expect(parseCreationSid(undefined)).toBeUndefined();
    expect(parseCreationSid("AllowAll")).toBeUndefined();
  });
});
