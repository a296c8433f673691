import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OciClient } from "@iri/oci";
import { pushImage } from "@iri/oci/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciImageCache } from "./oci-image-cache.js";

const KiB = 1024;

describe("OCI image cache bounds (real loopback registry)", () => {
  const registry = process.env.REGISTRY_ADDR ?? "";
  let dir: string;
  const client = new OciClient();
  const signal = new AbortController().signal;
  const push = async () => {
    const pushed = await pushImage(registry, "iri-tests/qemu-cache", `c${randomBytes(4).toString("hex")}`, {
      config: {},
      layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: randomBytes(64 * KiB) }],
    });
    return pushed.reference;
  };
  /** Makes an image look last used `hours` ago, beyond the cache's recent-use grace. */
  const age = async (digest: string, hours: number) => {
    const old = new Date(Date.now() - hours * 3_600_000);
    await utimes(join(dir, digest.replace("sha256:", ""), "image.json"), old, old);
  };

  beforeAll(async () => {
    if (!registry) throw new Error("REGISTRY_ADDR must be set (source <(bash scripts/services.sh env))");
    dir = await mkdtemp(join(tmpdir(), "iri-image-cache-"));
  });
  afterAll(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes partial pulls at open, and unused images beyond the bound, least recently used first", async () => {
    await mkdir(join(dir, `${"a".repeat(64)}.1234abcd.partial`), { recursive: true });
    const cache = new OciImageCache(client, dir, 150 * KiB);
    await cache.open();
    expect(await readdir(dir)).toEqual([]);

    const oldest = await cache.pull(await push(), signal);
    const pinned = await cache.pull(await push(), signal);
    const newest = await cache.pull(await push(), signal);
    await age(oldest.digest, 3);
    await age(pinned.digest, 4);
    await age(newest.digest, 1);
    // Three images of 64 KiB each (plus metadata) are over 150 KiB: the least recently used unpinned one goes;
    // the pinned one, used even longer ago, stays.
    await cache.collect(new Set([pinned.digest]));
    const left = await readdir(dir);
    expect(left).toHaveLength(2);
    expect(left).not.toContain(oldest.digest.replace("sha256:", ""));
    expect(left).toContain(pinned.digest.replace("sha256:", ""));

    // An image used within the last minutes is kept even beyond the bound.
    const fresh = await cache.pull(await push(), signal);
    await cache.collect(new Set());
    expect(await readdir(dir)).toContain(fresh.digest.replace("sha256:", ""));
  });
});
