import { describe, expect, it } from "vitest";
import { parseChallenge } from "./www-authenticate.js";

describe("parseChallenge", () => {
  it("reads a distribution-spec Bearer challenge", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "registry.example",
        scope: "repository:a/b:pull,push",
      },
    });
  });

  it("reads Basic with a token value and escaped quotes", () => {
    expect(parseChallenge('Basic realm=registry, charset="UTF\\"8"')).toEqual({
      scheme: "basic",
      params: { realm: "registry", charset: 'UTF"8' },
    });
  });

  it("returns undefined for an empty header", () => {
    expect(parseChallenge("")).toBeUndefined();
  });
});
