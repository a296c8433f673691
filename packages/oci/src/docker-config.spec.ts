import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDockerConfig } from "./docker-config.js";
import { InvalidConfigurationError } from "./errors.js";

async function configFile(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "oci-docker-config-")), "config.json");
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

describe("readDockerConfig", () => {
  it("reads base64 auth and username/password, normalising URL-style keys", async () => {
    const path = await configFile(
      JSON.stringify({
        auths: {
          "https://registry.example:5000/v1/": { auth: Buffer.from("alice:pa:ss").toString("base64") },
          "other.example": { username: "bob", password: "secret" },
          "token-only.example": { identitytoken: "x" },
        },
      }),
    );
    const store = readDockerConfig(path, true);
    expect(store.get("registry.example:5000")).toEqual({ username: "alice", password: "pa:ss" });
    expect(store.get("other.example")).toEqual({ username: "bob", password: "secret" });
    expect(store.has("token-only.example")).toBe(false);
  });

  it("treats a missing default file as no credentials but a missing named file as an error", () => {
    const missing = join(tmpdir(), "oci-no-such-dir", "config.json");
    expect(readDockerConfig(missing, false).size).toBe(0);
    expect(() => readDockerConfig(missing, true)).toThrow(InvalidConfigurationError);
  });

  it("rejects malformed JSON without quoting the file", async () => {
    const path = await configFile('{"auths": {"r.example": {"auth": "c2VjcmV0"');
    expect(() => readDockerConfig(path, true)).toThrow(/is not valid JSON$/);
  });

  it("rejects an auth value that is not user:password", async () => {
    const path = await configFile(JSON.stringify({ auths: { "r.example": { auth: "bm9jb2xvbg==" } } }));
    expect(() => readDockerConfig(path, true)).toThrow(/r\.example has no usable credentials/);
  });
});
