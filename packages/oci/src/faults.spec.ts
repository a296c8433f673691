// Faults the real registry cannot produce on demand, from a proxy in front of it: corrupted, truncated and
// broken blob bodies, a manifest whose bytes do not match its digest, and a registry that is not there.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestMismatchError, RegistryUnavailableError } from "./errors.js";
import { OciClient } from "./oci-client.js";
import { registryAddr, uniqueRepo } from "./testdata/registry-env.js";
import { type ProxyOptions, type RegistryProxy, startRegistryProxy } from "./testdata/registry-proxy.js";
import { deleteManifest, type PushedImage, pushImage } from "./testing/index.js";

const ROOTFS = "application/vnd.ironcore.image.rootfs";
const registry = registryAddr();
const repo = uniqueRepo("faults");
const data = randomBytes(256 * 1024);
let image: PushedImage;
const client = new OciClient();
const proxies: RegistryProxy[] = [];

async function proxy(corrupt: ProxyOptions["corrupt"]): Promise<RegistryProxy> {
  const started = await startRegistryProxy({ upstream: registry, corrupt });
  proxies.push(started);
  return started;
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let size = 0;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

function rootfs() {
  const layer = image.layers[0];
  if (layer === undefined) throw new Error("no layer pushed");
  return layer;
}

beforeAll(async () => {
  image = await pushImage(registry, repo, "1.0", { layers: [{ mediaType: ROOTFS, data }] });
});

afterAll(async () => {
  await client.close();
  for (const started of proxies) await started.close();
  await deleteManifest(registry, repo, image.manifestDigest);
});

describe("faults", () => {
  it("fails a stream of corrupted bytes with DigestMismatchError only at its end", async () => {
    const { addr } = await proxy({ blobs: "flip-byte" });
    const stream = await client.openBlob(`${addr}/${repo}:1.0`, rootfs());
    let received = 0;
    stream.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    const error = await new Promise((resolve) => stream.on("error", resolve));
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as DigestMismatchError).expected.digest).toBe(rootfs().digest);
    expect((error as Error).message).toMatch(/content has digest sha256:[0-9a-f]{64} \(262144 bytes\)/);
    expect(received).toBe(data.length);
  });

  it("fails a truncated blob with DigestMismatchError naming both sizes", async () => {
    const { addr } = await proxy({ blobs: "truncate" });
    const stream = await client.openBlob(`${addr}/${repo}:1.0`, rootfs());
    const draining = drain(stream);
    await expect(draining).rejects.toThrow(DigestMismatchError);
    await expect(draining).rejects.toThrow("got 131072 bytes, expected 262144");
  });

  it("fails a connection that breaks mid-blob with RegistryUnavailableError", async () => {
    const { addr } = await proxy({ blobs: "reset" });
    const stream = await client.openBlob(`${addr}/${repo}:1.0`, rootfs());
    await expect(drain(stream)).rejects.toThrow(RegistryUnavailableError);
  });

  it("leaves no partial file when a download fails verification", async () => {
    const { addr } = await proxy({ blobs: "flip-byte" });
    const dir = await mkdtemp(join(tmpdir(), "oci-partial-"));
    await expect(
      client.fetchBlobToFile(`${addr}/${repo}:1.0`, rootfs(), join(dir, "rootfs")),
    ).rejects.toThrow(DigestMismatchError);
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects a digest-pinned manifest whose bytes do not match", async () => {
    const { addr } = await proxy({ manifests: true });
    await expect(client.resolveImage(`${addr}/${repo}@${image.manifestDigest}`)).rejects.toThrow(
      DigestMismatchError,
    );
    // By tag there is nothing to check against: the digest reported is that of the bytes served.
    const byTag = await client.resolveImage(`${addr}/${repo}:1.0`);
    expect(byTag.manifestDigest).not.toBe(image.manifestDigest);
  });

  it("reports a refused connection as RegistryUnavailableError", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const resolving = client.resolveImage(`127.0.0.1:${port}/${repo}:1.0`);
    await expect(resolving).rejects.toThrow(RegistryUnavailableError);
    await expect(resolving).rejects.toThrow(/ECONNREFUSED/);
  });

  it("passes the caller's abort through instead of reporting the registry unavailable", async () => {
    const controller = new AbortController();
    const stream = await client.openBlob(`${registry}/${repo}:1.0`, rootfs(), { signal: controller.signal });
    controller.abort(new Error("machine deleted"));
    await expect(drain(stream)).rejects.toThrow("machine deleted");
  });
});
