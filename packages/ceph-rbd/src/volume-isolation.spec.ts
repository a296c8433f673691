import { volume } from "@iri/api";
import type { VolumeObservation } from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, patterned, volumeClass, volumeIntent, writeImage } from "./testdata/fixtures.js";
import { pushRootfsImage } from "./testdata/registry.js";
import { openTestBackend, type TestBackend } from "./testdata/test-backend.js";
import {
  adminTool,
  type Consumer,
  consumerOf,
  consumerTool,
  randomSuffix,
  readImage,
} from "./testdata/test-cluster.js";

// One tenant's key against another tenant's volume, for every kind of volume the backend makes.
let t: TestBackend;

beforeAll(async () => {
  t = await openTestBackend();
});

afterAll(async () => {
  await t?.dispose();
});

const cls = () => volumeClass("standard", t.pools[0]);
const PASSPHRASE = "tenant passphrase";

interface Made {
  readonly id: string;
  readonly spec: string;
  readonly observation: VolumeObservation;
  readonly placement: Record<string, string>;
  readonly as: Consumer;
}

async function make(intent: Parameters<TestBackend["applyUntilDone"]>[0]): Promise<Made> {
  const { observation, placement } = await t.applyUntilDone(intent);
  expect(observation.state).toBe(volume.VolumeState.VOLUME_AVAILABLE);
  return {
    id: intent.id,
    spec: `${placement.pool}/${placement.image}`,
    observation,
    placement,
    as: consumerOf(observation.access),
  };
}

/** The error of a consumer command: EPERM (exit 1, "Operation not permitted") when cephx refused it. */
async function refusal(as: Consumer, tool: "rbd" | "ceph", args: string[]): Promise<string> {
  try {
    await consumerTool(as, tool, args);
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
  throw new Error(`${tool} ${args.join(" ")} succeeded with ${as.id}'s key`);
}

const EPERM = /Operation not permitted|\(1\)|permission denied/i;

/** What A's key must not do to B, and what it must do to A. */
async function expectIsolated(a: Made, b: Made): Promise<void> {
  const pool = b.spec.split("/")[0] as string;
  expect(await refusal(a.as, "rbd", ["info", b.spec])).toMatch(EPERM);
  expect(await refusal(a.as, "rbd", ["export", b.spec, "-"])).toMatch(EPERM);
  expect(
    await refusal(a.as, "rbd", [
      "bench",
      "--io-type",
      "write",
      "--io-total",
      "64K",
      "--io-size",
      "4K",
      b.spec,
    ]),
  ).toMatch(EPERM);
  expect(await refusal(a.as, "rbd", ["snap", "create", `${b.spec}@stolen`])).toMatch(EPERM);
  expect(await refusal(a.as, "rbd", ["rm", "--no-progress", b.spec])).toMatch(EPERM);
  expect(await refusal(a.as, "rbd", ["image-meta", "set", b.spec, "iri.filled", "0"])).toMatch(EPERM);
  expect(await refusal(a.as, "rbd", ["ls", "-l", "--pool", pool])).toMatch(EPERM);
  expect(await refusal(a.as, "ceph", ["auth", "ls"])).toMatch(/EACCES|denied|\(13\)/i);
  // B is untouched, and A's own image opens, writes and reads.
  expect((await adminTool("rbd", ["snap", "ls", b.spec, "--format", "json"])).trim()).toBe("[]");
  await consumerTool(a.as, "rbd", [
    "bench",
    "--io-type",
    "write",
    "--io-total",
    "64K",
    "--io-size",
    "4K",
    a.spec,
  ]);
  expect((await readImage(a.spec, 4096, a.as)).length).toBe(4096);
}

describe("a volume's credentials open that volume and nothing else", () => {
  it("plain volumes", async () => {
    const a = await make(volumeIntent(`a${randomSuffix()}`, cls(), 8n * MiB));
    const b = await make(volumeIntent(`b${randomSuffix()}`, cls(), 8n * MiB));
    expect(a.as.id).not.toBe(b.as.id);
    await expectIsolated(a, b);
    await expectIsolated(b, a);
  });

  it("LUKS2 volumes", async () => {
    const a = await make(volumeIntent(`a${randomSuffix()}`, cls(), 32n * MiB, { passphrase: PASSPHRASE }));
    const b = await make(volumeIntent(`b${randomSuffix()}`, cls(), 32n * MiB, { passphrase: PASSPHRASE }));
    await expectIsolated(a, b);
  });

  it("volumes from an IronCore image: the clone reads its parent, nothing else of the cache", async () => {
    const image = await pushRootfsImage(2 * 1024 * 1024, 7);
    const a = await make(volumeIntent(`a${randomSuffix()}`, cls(), 16n * MiB, { image: image.reference }));
    const b = await make(volumeIntent(`b${randomSuffix()}`, cls(), 16n * MiB, { image: image.reference }));
    // A's key reads the rootfs through its clone.
    expect((await readImage(a.spec, image.rootfs.length, a.as)).equals(image.rootfs)).toBe(true);
    await expectIsolated(a, b);
    const parent = JSON.parse(await adminTool("rbd", ["info", a.spec, "--format", "json"])).parent;
    const cache = `${parent.pool}/${parent.image}`;
    expect(await refusal(a.as, "rbd", ["image-meta", "list", cache])).toMatch(EPERM);
    expect(await refusal(a.as, "rbd", ["image-meta", "set", cache, "iri.cache-state", "populating"])).toMatch(
      EPERM,
    );
    expect(await refusal(a.as, "rbd", ["bench", "--io-type", "write", "--io-total", "4K", cache])).toMatch(
      EPERM,
    );
  });

  it("restored volumes: the restore reads the snapshot through its parent; after a flatten it no longer can", async () => {
    const source = await make(volumeIntent(`s${randomSuffix()}`, cls(), 8n * MiB));
    const data = patterned(1024 * 1024, 11);
    await writeImage(source.spec, 8n * MiB, data);
    const snapId = `snap${randomSuffix()}`;
    const snap = await t.backend.applySnapshot(
      { id: snapId, labels: {}, volumeId: source.id, volumePlacement: source.placement },
      t.context.operation(snapId),
    );
    const snapshot = { id: snapId, placement: snap.placement, sizeBytes: 8n * MiB };
    const a = await make(volumeIntent(`a${randomSuffix()}`, cls(), 8n * MiB, { snapshot }));
    const b = await make(volumeIntent(`b${randomSuffix()}`, cls(), 8n * MiB, { snapshot }));
    expect((await readImage(a.spec, data.length, a.as)).equals(data)).toBe(true);
    await expectIsolated(a, b);
    // The snapshot's image itself (the source volume) is not A's to write or open as a volume.
    expect(
      await refusal(a.as, "rbd", ["bench", "--io-type", "write", "--io-total", "4K", source.spec]),
    ).toMatch(EPERM);

    const before = await readImage(a.spec, data.length, a.as);
    // Deleting the snapshot flattens the restores; their users lose the read grant on the source.
    const ref = {
      id: snapId,
      placement: snap.placement,
      signal: new AbortController().signal,
      event: () => {},
    };
    const deadline = Date.now() + 60_000;
    while ((await t.backend.removeSnapshot(ref)) !== undefined) {
      if (Date.now() > deadline) throw new Error("snapshot removal did not finish");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const sourceId = JSON.parse(await adminTool("rbd", ["info", source.spec, "--format", "json"])).id;
    const [entry] = JSON.parse(
      await adminTool("ceph", ["auth", "get", `client.${a.as.id}`, "--format", "json"]),
    );
    expect(entry.caps.osd).not.toContain(sourceId);
    // A reads what it had (its own writes over the snapshot's data) without the parent.
    expect((await readImage(a.spec, data.length, a.as)).equals(before)).toBe(true);
  });

  it("after DeleteVolume the key no longer authenticates", async () => {
    const a = await make(volumeIntent(`a${randomSuffix()}`, cls(), 8n * MiB));
    expect((await readImage(a.spec, 16, a.as)).length).toBe(16);
    // Authenticated, just not allowed to list:
    expect(await refusal(a.as, "rbd", ["ls", "--pool", t.pools[0]])).not.toMatch(/couldn't connect/);
    const ref = { id: a.id, placement: a.placement, signal: new AbortController().signal, event: () => {} };
    expect(await t.backend.remove(ref)).toBeUndefined();
    // A deleted entity's authentication is not refused outright: the client hunts for a monitor until its
    // mount timeout (300 s by default), then gives up with the same "couldn't connect".
    expect(await refusal(a.as, "rbd", ["--client_mount_timeout", "20", "ls", "--pool", t.pools[0]])).toMatch(
      /couldn't connect to the cluster/,
    );
    await expect(adminTool("ceph", ["auth", "get", `client.${a.as.id}`])).rejects.toThrow();
  });
});
