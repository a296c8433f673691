import { PermanentBackendError, type VolumeIntent, type VolumeObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CephRbdBackend } from "./ceph-rbd-backend.js";
import { cephRbdBackend } from "./factory.js";
import { MiB, volumeClass, volumeIntent } from "./testdata/fixtures.js";
import { corruptingProxy, pushRootfsImage } from "./testdata/registry.js";
import { openTestBackend, type TestBackend } from "./testdata/test-backend.js";
import { adminTool, consumerOf, randomSuffix, readDecrypted, readImage } from "./testdata/test-cluster.js";

let t: TestBackend;

beforeAll(async () => {
  t = await openTestBackend();
});

afterAll(async () => {
  await t?.dispose();
});

const cls = () => volumeClass("standard", t.pools[0]);

async function rbdJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await adminTool("rbd", [...args, "--format", "json"])) || "null") as T;
}

async function populations(result: string): Promise<number> {
  const metric = await t.context.metrics.getSingleMetric("iri_volume_image_populations_total")?.get();
  return metric?.values.find((v) => v.labels.result === result)?.value ?? 0;
}

/** Calls `attempt` until it resolves (at most 30 s), as the reconciler retries a failed apply. */
async function retry<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** As `t.applyUntilDone`, on another backend instance (polling; notDone's delay at most 200 ms). */
async function applyUntilDone(
  backend: CephRbdBackend,
  intent: VolumeIntent,
): Promise<{ observation: VolumeObservation; placement: Record<string, string> }> {
  const deadline = Date.now() + 60_000;
  let placement: Record<string, string> | undefined;
  let observation: VolumeObservation | undefined;
  for (;;) {
    const outcome = await backend.apply(
      intent,
      t.context.operation<VolumeObservation>(intent.id, { observation, placement }),
    );
    placement = outcome.placement ? { ...outcome.placement } : placement;
    observation = outcome.observation;
    if (!outcome.notDone) return { observation, placement: placement as Record<string, string> };
    if (Date.now() > deadline) throw new Error(`volume ${intent.id} not done: ${outcome.notDone.message}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(outcome.notDone?.afterMs ?? 100, 200)));
  }
}

function cacheImages(): Promise<string[]> {
  return rbdJson<string[]>(["ls", t.pools[0]]).then((names) => names.filter((n) => n.startsWith("iri-img-")));
}

describe("volumes from IronCore images", () => {
  it("writes the rootfs once into a sparse cache and clones it; the consumer reads the rootfs", async () => {
    const image = await pushRootfsImage(6 * 1024 * 1024, 1);
    const id = `v${randomSuffix()}`;
    const { observation, placement } = await t.applyUntilDone(
      volumeIntent(id, cls(), 32n * MiB, { image: image.reference }),
    );
    expect(observation.storageBytes).toBe(32n * MiB);
    const spec = `${placement.pool}/${placement.image}`;

    // The volume's own key reads the rootfs through the clone from its parent.
    const read = await readImage(spec, image.rootfs.length, consumerOf(observation.access));
    expect(read.equals(image.rootfs)).toBe(true);

    const info = await rbdJson<{ size: number; parent: { image: string; snapshot: string } }>(["info", spec]);
    expect(info.size).toBe(32 * 1024 * 1024);
    expect(info.parent.image).toMatch(/^iri-img-.*-[0-9a-f]{64}$/);
    expect(info.parent.image.endsWith(image.manifestDigest.slice("sha256:".length))).toBe(true);
    expect(info.parent.snapshot).toBe("iri-base");
    // Sparse: the 4 MiB of zeros in the middle were not written (objects are 4 MiB; at most the two ends are).
    const du = await rbdJson<{ images: { name: string; used_size: number }[] }>([
      "du",
      `${t.pools[0]}/${info.parent.image}`,
    ]);
    expect(du.images.find((i) => i.name === info.parent.image)?.used_size).toBeLessThanOrEqual(
      4 * 1024 * 1024 + 2 * 1024 * 1024,
    );
    const reasons = t.context.events.filter((e) => e.objectId === id).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["PopulatingImage", "ImagePopulated", "VolumeCloned"]));
    expect(
      t.context.events.find((e) => e.reason === "PopulatingImage" && e.objectId === id)?.message,
    ).toContain(image.reference);
  });

  it("makes an encrypted volume from an image: LUKS2 over a copy of the rootfs", async () => {
    const image = await pushRootfsImage(3 * 1024 * 1024, 6);
    const id = `v${randomSuffix()}`;
    const passphrase = `img-pass-${randomSuffix()}`;
    const { observation, placement } = await t.applyUntilDone(
      volumeIntent(id, cls(), 16n * MiB, { image: image.reference, passphrase }),
    );
    expect(observation.storageBytes).toBe(16n * MiB);
    const spec = `${placement.pool}/${placement.image}`;
    const info = await rbdJson<{ size: number; parent?: unknown }>(["info", spec]);
    expect(info).toMatchObject({ size: 32 * 1024 * 1024 });
    expect(info.parent).toBeUndefined();
    expect((await readImage(spec, 4)).toString("latin1")).toBe("LUKS");
    const plain = await readDecrypted(spec, image.rootfs.length, passphrase, t.context.stateDir);
    expect(plain.equals(image.rootfs)).toBe(true);
    expect(JSON.stringify(t.context.events)).not.toContain(passphrase);
    expect(t.context.logLines.join("\n")).not.toContain(passphrase);
  });

  it("populates once for concurrent creates from one image", async () => {
    const image = await pushRootfsImage(3 * 1024 * 1024, 2);
    const before = await populations("succeeded");
    const ids = [1, 2, 3, 4].map(() => `v${randomSuffix()}`);
    const results = await Promise.all(
      ids.map((id) => t.applyUntilDone(volumeIntent(id, cls(), 8n * MiB, { image: image.reference }))),
    );
    expect(await populations("succeeded")).toBe(before + 1);
    const parents = await Promise.all(
      results.map(({ placement }) =>
        rbdJson<{ parent: { image: string } }>(["info", `${placement.pool}/${placement.image}`]),
      ),
    );
    expect(new Set(parents.map((p) => p.parent.image)).size).toBe(1);
    const populated = t.context.logLines.filter(
      (l) => l.includes("image cache populated") && l.includes(image.manifestDigest),
    );
    expect(populated).toHaveLength(1);
  });

  it("after a restart clones a ready cache as it is, and writes an unfinished one afresh", async () => {
    const image = await pushRootfsImage(3 * 1024 * 1024, 8);
    await t.applyUntilDone(volumeIntent(`v${randomSuffix()}`, cls(), 8n * MiB, { image: image.reference }));
    const digestHex = image.manifestDigest.slice("sha256:".length);
    const cache = (await cacheImages()).find((n) => n.endsWith(digestHex)) as string;
    const populated = await populations("succeeded");

    // The same provider started again: nothing known in memory, the cache found ready and used as it is.
    const restarted = await cephRbdBackend.open(t.settings, t.context);
    try {
      const again = await applyUntilDone(
        restarted,
        volumeIntent(`v${randomSuffix()}`, cls(), 8n * MiB, { image: image.reference }),
      );
      const info = await rbdJson<{ parent: { image: string } }>([
        "info",
        `${again.placement.pool}/${again.placement.image}`,
      ]);
      expect(info.parent.image).toBe(cache);
      expect(await populations("succeeded")).toBe(populated);
    } finally {
      await restarted.close();
    }

    // A crash left a cache image without its snapshot (tagged as ours): removed and written again.
    const other = await pushRootfsImage(2 * 1024 * 1024, 9);
    const leftover = `${t.pools[0]}/${cache.slice(0, -digestHex.length)}${other.manifestDigest.slice("sha256:".length)}`;
    await adminTool("rbd", ["create", "--size", "4M", leftover]);
    await adminTool("rbd", ["image-meta", "set", leftover, "iri.owner", t.context.owner.instanceId]);
    const { placement } = await t.applyUntilDone(
      volumeIntent(`v${randomSuffix()}`, cls(), 8n * MiB, { image: other.reference }),
    );
    expect(
      (await readImage(`${placement.pool}/${placement.image}`, other.rootfs.length)).equals(other.rootfs),
    ).toBe(true);
    const snapshots = await rbdJson<{ name: string; protected: string }[]>(["snap", "ls", leftover]);
    expect(snapshots).toEqual([expect.objectContaining({ name: "iri-base", protected: "true" })]);
    expect(await populations("succeeded")).toBe(populated + 1);
  });

  it("fails permanently, naming both sizes, when the image is larger than the volume", async () => {
    const image = await pushRootfsImage(12 * 1024 * 1024, 3);
    const id = `v${randomSuffix()}`;
    const failure = await t.backend
      .apply(
        volumeIntent(id, cls(), 8n * MiB, { image: image.reference }),
        t.context.operation<VolumeObservation>(id),
      )
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentBackendError);
    expect((failure as PermanentBackendError).reason).toBe("ImageLargerThanVolume");
    expect((failure as Error).message).toMatch(/12 MiB.*8 MiB/);
  });

  it("fails permanently for an image that does not exist", async () => {
    const id = `v${randomSuffix()}`;
    const failure = await t.backend
      .apply(
        volumeIntent(id, cls(), 8n * MiB, {
          image: `${process.env.REGISTRY_ADDR}/iri-test/nothing-${randomSuffix()}:v1`,
        }),
        t.context.operation<VolumeObservation>(id),
      )
      .catch((e: unknown) => e);
    expect((failure as PermanentBackendError).reason).toBe("ImagePullFailed");
  });

  it("cleans up a failed population and retries it", async () => {
    const image = await pushRootfsImage(3 * 1024 * 1024, 4);
    const layer = image.layers[0]?.digest as string;
    const proxy = await corruptingProxy(layer, 1);
    try {
      const reference = image.reference.replace(process.env.REGISTRY_ADDR as string, proxy.addr);
      const id = `v${randomSuffix()}`;
      const intent = volumeIntent(id, cls(), 8n * MiB, { image: reference });
      const failedBefore = await populations("failed");
      await expect(t.applyUntilDone(intent)).rejects.toThrow(/digest/i);
      expect(await populations("failed")).toBe(failedBefore + 1);
      // The half-written cache image is gone …
      const digestHex = image.manifestDigest.slice("sha256:".length);
      expect((await cacheImages()).filter((n) => n.endsWith(digestHex))).toEqual([]);
      // … and the reconciler's retries (back-off) see the failure until the retry delay passed, then
      // populate it afresh.
      const { placement } = await retry(() => t.applyUntilDone(intent));
      expect(
        (await readImage(`${placement.pool}/${placement.image}`, image.rootfs.length)).equals(image.rootfs),
      ).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("garbage-collects a cache image no volume uses after the configured age", async () => {
    const image = await pushRootfsImage(2 * 1024 * 1024, 5);
    const id = `v${randomSuffix()}`;
    const { placement } = await t.applyUntilDone(
      volumeIntent(id, cls(), 8n * MiB, { image: image.reference }),
    );
    const digestHex = image.manifestDigest.slice("sha256:".length);
    const cache = (await cacheImages()).find((n) => n.endsWith(digestHex)) as string;
    expect(cache).toBeDefined();
    // In use: never collected.
    await t.backend.collectGarbage();
    await t.backend.collectGarbage();
    expect(await cacheImages()).toContain(cache);

    expect(
      await t.backend.remove({ id, placement, signal: new AbortController().signal, event: () => {} }),
    ).toBeUndefined();
    // The first pass notes it unused; with the default age (1 h) it stays.
    await t.backend.collectGarbage();
    expect(await cacheImages()).toContain(cache);
    const meta = await rbdJson<Record<string, string>>(["image-meta", "list", `${t.pools[0]}/${cache}`]);
    expect(Number(meta["iri.unused-since"])).toBeGreaterThan(Date.now() - 60_000);
    // Pretend it has been unused for longer than the age.
    await adminTool("rbd", [
      "image-meta",
      "set",
      `${t.pools[0]}/${cache}`,
      "iri.unused-since",
      String(Date.now() - 3_601_000),
    ]);
    await t.backend.collectGarbage();
    expect(await cacheImages()).not.toContain(cache);
  });
});
