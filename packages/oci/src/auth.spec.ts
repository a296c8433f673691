// Auth against a proxy in front of the real registry that demands Basic or Bearer credentials.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnauthorizedError } from "./errors.js";
import { OciClient } from "./oci-client.js";
import { registryAddr, uniqueRepo } from "./testdata/registry-env.js";
import { type ProxyOptions, type RegistryProxy, startRegistryProxy } from "./testdata/registry-proxy.js";
import { deleteManifest, type PushedImage, pushImage } from "./testing/index.js";

const registry = registryAddr();
const repo = uniqueRepo("auth");
let image: PushedImage;
const proxies: RegistryProxy[] = [];
const clients: OciClient[] = [];

async function proxy(auth: ProxyOptions["auth"]): Promise<RegistryProxy> {
  const started = await startRegistryProxy({ upstream: registry, auth });
  proxies.push(started);
  return started;
}

/** A client whose Docker config holds `auths` as given. */
async function clientWith(auths: Record<string, unknown>): Promise<OciClient> {
  const dir = await mkdtemp(join(tmpdir(), "oci-auth-"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
  const client = new OciClient({ dockerConfigPath: join(dir, "config.json") });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  image = await pushImage(registry, repo, "1.0", {
    layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: "disk" }],
  });
});

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const started of proxies) await started.close();
  await deleteManifest(registry, repo, image.manifestDigest);
});

describe("basic auth from a Docker config", () => {
  it("answers a Basic challenge with the base64 auth entry and keeps sending it", async () => {
    const { addr, authorizations } = await proxy({ kind: "basic", username: "alice", password: "s3cret" });
    const client = await clientWith({ [addr]: { auth: Buffer.from("alice:s3cret").toString("base64") } });
    const resolved = await client.resolveImage(`${addr}/${repo}:1.0`);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    // The first request is anonymous; after the challenge every request carries the credentials.
    expect(authorizations[0]).toBeUndefined();
    expect(authorizations.slice(1).every((header) => header?.startsWith("Basic "))).toBe(true);
    await client.resolveImage(`${addr}/${repo}:1.0`);
    expect(authorizations.filter((header) => header === undefined)).toHaveLength(1);
  });

  it("uses username/password entries keyed by URL", async () => {
    const { addr } = await proxy({ kind: "basic", username: "bob", password: "pw" });
    const client = await clientWith({ [`https://${addr}/v1/`]: { username: "bob", password: "pw" } });
    expect((await client.resolveImage(`${addr}/${repo}:1.0`)).manifestDigest).toBe(image.manifestDigest);
  });

  it("reports missing or wrong credentials as UnauthorizedError", async () => {
    const { addr } = await proxy({ kind: "basic", username: "alice", password: "s3cret" });
    const anonymous = await clientWith({});
    await expect(anonymous.resolveImage(`${addr}/${repo}:1.0`)).rejects.toThrow(
      /wants credentials and none are configured/,
    );
    const wrong = await clientWith({ [addr]: { username: "alice", password: "nope" } });
    const failing = wrong.resolveImage(`${addr}/${repo}:1.0`);
    await expect(failing).rejects.toThrow(UnauthorizedError);
    await expect(failing).rejects.not.toThrow(/nope/);
  });
});

describe("bearer token challenge", () => {
  it("fetches a token with the configured credentials for the pull scope and reuses it", async () => {
    const { addr, tokenRequests, authorizations } = await proxy({
      kind: "bearer",
      username: "carol",
      password: "tok3n",
    });
    const client = await clientWith({ [addr]: { username: "carol", password: "tok3n" } });
    const resolved = await client.resolveImage(`${addr}/${repo}:1.0`);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    const layer = resolved.rootfs;
    if (layer === undefined) throw new Error("no rootfs");
    for await (const _ of await client.openBlob(resolved.reference, layer)) {
      // drain
    }
    expect(tokenRequests).toEqual([
      { scope: `repository:${repo}:pull`, service: "test-registry", authenticated: true },
    ]);
    expect(authorizations.filter((header) => header?.startsWith("Bearer "))).toHaveLength(3);
  });

  it("follows a blob redirect to another origin without sending it the token", async () => {
    const started = await startRegistryProxy({
      upstream: registry,
      auth: { kind: "bearer" },
      redirectBlobs: true,
    });
    proxies.push(started);
    const client = await clientWith({});
    const resolved = await client.resolveImage(`${started.addr}/${repo}:1.0`);
    const layer = resolved.rootfs;
    if (layer === undefined) throw new Error("no rootfs");
    let content = "";
    for await (const chunk of await client.openBlob(resolved.reference, layer)) content += String(chunk);
    expect(content).toBe("disk");
    expect(resolved.config).toEqual({});
    // The config and the rootfs came from the storage server, with no Authorization header.
    expect(started.storageAuthorizations).toEqual([undefined, undefined]);
  });

  it("gets an anonymous token when no credentials are configured", async () => {
    const { addr, tokenRequests } = await proxy({ kind: "bearer" });
    const client = await clientWith({});
    expect((await client.resolveImage(`${addr}/${repo}:1.0`)).manifestDigest).toBe(image.manifestDigest);
    expect(tokenRequests).toEqual([
      { scope: `repository:${repo}:pull`, service: "test-registry", authenticated: false },
    ]);
  });

  it("asks for a new token once the cached one expired", async () => {
    const { addr, tokenRequests } = await proxy({ kind: "bearer", expiresIn: 0.001 });
    const client = await clientWith({});
    await client.resolveImage(`${addr}/${repo}:1.0`);
    const first = tokenRequests.length;
    await client.resolveImage(`${addr}/${repo}:1.0`);
    expect(tokenRequests.length).toBeGreaterThan(first);
  });

  it("reports a token service that refuses the credentials as UnauthorizedError", async () => {
    const { addr } = await proxy({ kind: "bearer", username: "carol", password: "tok3n" });
    const client = await clientWith({ [addr]: { username: "carol", password: "wrong" } });
    const failing = client.resolveImage(`${addr}/${repo}:1.0`);
    await expect(failing).rejects.toThrow(UnauthorizedError);
    await expect(failing).rejects.toThrow(/^token for manifest .*: access denied \(HTTP 401\)$/);
  });
});
