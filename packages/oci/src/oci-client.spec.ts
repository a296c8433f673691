// Against the real loopback registry (REGISTRY_ADDR).
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DigestMismatchError, ImageNotFoundError, InvalidImageError } from "./errors.js";
import { OciClient } from "./oci-client.js";
import { registryAddr, uniqueRepo } from "./testdata/registry-env.js";
import { deleteManifest, pushImage, pushIndex } from "./testing/index.js";

const ROOTFS = "application/vnd.ironcore.image.rootfs";
const KERNEL = "application/vnd.ironcore.image.kernel";
const INITRAMFS = "application/vnd.ironcore.image.initramfs";
const LEGACY_ROOTFS = "application/vnd.ironcore.image.rootfs.v1alpha1.rootfs";
const LEGACY_KERNEL = "application/vnd.ironcore.image.vmlinuz.v1alpha1.vmlinuz";

const registry = registryAddr();
const client = new OciClient();
const pushed: { repo: string; digest: string }[] = [];

async function push(repo: string, tag: string, options: Parameters<typeof pushImage>[3]) {
  const image = await pushImage(registry, repo, tag, options);
  pushed.push({ repo, digest: image.manifestDigest });
  return image;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

afterAll(async () => {
  await client.close();
  for (const { repo, digest } of pushed) await deleteManifest(registry, repo, digest);
});

describe("resolveImage against the registry", () => {
  it("resolves a tag to the manifest, its config and its layers", async () => {
    const repo = uniqueRepo("os");
    const image = await push(repo, "1.0", {
      config: { commandLine: "console=ttyS0 root=/dev/vda" },
      layers: [
        { mediaType: ROOTFS, data: randomBytes(4096) },
        { mediaType: KERNEL, data: "kernel" },
        { mediaType: INITRAMFS, data: "initramfs" },
      ],
    });
    const resolved = await client.resolveImage(`${registry}/${repo}:1.0`);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    expect(resolved.reference).toEqual({
      registry,
      repository: repo,
      tag: "1.0",
      digest: image.manifestDigest,
    });
    expect(resolved.config).toEqual({ commandLine: "console=ttyS0 root=/dev/vda" });
    expect(resolved.rootfs).toEqual(image.layers[0]);
    expect(resolved.kernel).toEqual(image.layers[1]);
    expect(resolved.initramfs).toEqual(image.layers[2]);
    expect(resolved.squashfs).toBeUndefined();
    expect(resolved.indexDigest).toBeUndefined();
  });

  it("resolves by digest and reports the same manifest", async () => {
    const repo = uniqueRepo("os");
    const image = await push(repo, "1.0", { layers: [{ mediaType: ROOTFS, data: "disk" }] });
    const resolved = await client.resolveImage(`${registry}/${repo}@${image.manifestDigest}`);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    expect(resolved.rootfs?.digest).toBe(image.layers[0]?.digest);
    expect(resolved.config).toEqual({});
  });

  it("selects the linux/<architecture> manifest from an image index", async () => {
    const repo = uniqueRepo("multi");
    const amd64 = await push(repo, "amd64", { layers: [{ mediaType: ROOTFS, data: "amd64 disk" }] });
    const arm64 = await push(repo, "arm64", { layers: [{ mediaType: ROOTFS, data: "arm64 disk" }] });
    const index = await pushIndex(registry, repo, "1.0", [
      { manifest: amd64.manifest, architecture: "amd64" },
      { manifest: arm64.manifest, architecture: "arm64" },
    ]);
    pushed.push({ repo, digest: index.digest });
    const forArm = await client.resolveImage(`${registry}/${repo}:1.0`, { architecture: "arm64" });
    expect(forArm.manifestDigest).toBe(arm64.manifestDigest);
    expect(forArm.indexDigest).toBe(index.digest);
    expect(forArm.rootfs?.digest).toBe(arm64.layers[0]?.digest);
    const byDefault = await client.resolveImage(`${registry}/${repo}@${index.digest}`);
    expect(byDefault.manifestDigest).toBe(amd64.manifestDigest);
    const missing = client.resolveImage(`${registry}/${repo}:1.0`, { architecture: "riscv64" });
    await expect(missing).rejects.toThrow(InvalidImageError);
    await expect(missing).rejects.toThrow(
      "image index has no manifest for linux/riscv64 (available: linux/amd64, linux/arm64)",
    );
  });

  it("reads legacy media types and prefers a current layer over a legacy one", async () => {
    const repo = uniqueRepo("legacy");
    const legacy = await push(repo, "old", {
      configMediaType: "application/vnd.ironcore.image.config.v1alpha1+json",
      config: { commandLine: "quiet" },
      layers: [
        { mediaType: LEGACY_ROOTFS, data: "old disk" },
        { mediaType: LEGACY_KERNEL, data: "old kernel" },
      ],
    });
    const resolved = await client.resolveImage(`${registry}/${repo}:old`);
    expect(resolved.rootfs).toEqual(legacy.layers[0]);
    expect(resolved.kernel).toEqual(legacy.layers[1]);
    expect(resolved.config.commandLine).toBe("quiet");

    const mixed = await push(repo, "mixed", {
      layers: [
        { mediaType: LEGACY_ROOTFS, data: "old disk" },
        { mediaType: ROOTFS, data: "new disk" },
      ],
    });
    expect((await client.resolveImage(`${registry}/${repo}:mixed`)).rootfs).toEqual(mixed.layers[1]);
  });

  it("rejects an unknown layer media type and a non-IronCore config", async () => {
    const repo = uniqueRepo("odd");
    await push(repo, "tar", {
      layers: [
        { mediaType: ROOTFS, data: "disk" },
        { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", data: "tar" },
      ],
    });
    const tar = client.resolveImage(`${registry}/${repo}:tar`);
    await expect(tar).rejects.toThrow(InvalidImageError);
    await expect(tar).rejects.toThrow(
      'unknown layer media type "application/vnd.oci.image.layer.v1.tar+gzip"',
    );
    await push(repo, "container", {
      configMediaType: "application/vnd.oci.image.config.v1+json",
      layers: [{ mediaType: ROOTFS, data: "disk" }],
    });
    await expect(client.resolveImage(`${registry}/${repo}:container`)).rejects.toThrow(
      /not an IronCore image: config media type "application\/vnd.oci.image.config.v1\+json"/,
    );
  });

  it("reports a missing tag, repository or digest as ImageNotFoundError", async () => {
    const repo = uniqueRepo("os");
    await push(repo, "1.0", { layers: [{ mediaType: ROOTFS, data: "disk" }] });
    await expect(client.resolveImage(`${registry}/${repo}:2.0`)).rejects.toThrow(ImageNotFoundError);
    await expect(client.resolveImage(`${registry}/${uniqueRepo("none")}:1.0`)).rejects.toThrow(
      ImageNotFoundError,
    );
    await expect(client.resolveImage(`${registry}/${repo}@sha256:${"0".repeat(64)}`)).rejects.toThrow(
      /manifest .*@sha256:0{64} not found \(HTTP 404 MANIFEST_UNKNOWN\)/,
    );
  });
});

describe("blobs against the registry", () => {
  it("streams a layer whose size and digest match", async () => {
    const repo = uniqueRepo("blob");
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const image = await push(repo, "1.0", { layers: [{ mediaType: ROOTFS, data }] });
    const layer = image.layers[0];
    if (layer === undefined) throw new Error("no layer pushed");
    expect((await readAll(await client.openBlob(`${registry}/${repo}:1.0`, layer))).equals(data)).toBe(true);
  });

  it("fails the stream when the layer descriptor does not match the content", async () => {
    const repo = uniqueRepo("blob");
    const image = await push(repo, "1.0", { layers: [{ mediaType: ROOTFS, data: "four" }] });
    const layer = image.layers[0];
    if (layer === undefined) throw new Error("no layer pushed");
    const wrongSize = await client.openBlob(`${registry}/${repo}:1.0`, { ...layer, size: 5 });
    await expect(readAll(wrongSize)).rejects.toThrow(DigestMismatchError);
    const shorter = await client.openBlob(`${registry}/${repo}:1.0`, { ...layer, size: 3 });
    await expect(readAll(shorter)).rejects.toThrow(/longer than its size, at least: got 4 bytes, expected 3/);
  });

  it("writes a blob to a file atomically and leaves nothing else behind", async () => {
    const repo = uniqueRepo("blob");
    const data = randomBytes(100_000);
    const image = await push(repo, "1.0", { layers: [{ mediaType: ROOTFS, data }] });
    const layer = image.layers[0];
    if (layer === undefined) throw new Error("no layer pushed");
    const dir = await mkdtemp(join(tmpdir(), "oci-blob-"));
    await client.fetchBlobToFile(`${registry}/${repo}:1.0`, layer, join(dir, "rootfs"));
    expect((await readFile(join(dir, "rootfs"))).equals(data)).toBe(true);
    expect(await readdir(dir)).toEqual(["rootfs"]);
    const missing = { ...layer, digest: `sha256:${"1".repeat(64)}` };
    await expect(
      client.fetchBlobToFile(`${registry}/${repo}:1.0`, missing, join(dir, "gone")),
    ).rejects.toThrow(ImageNotFoundError);
    expect(await readdir(dir)).toEqual(["rootfs"]);
  });
});
