// Snapshot integrity on the real Ceph backend, through gRPC: a snapshot of a volume still being populated from
// an image waits (PENDING) and captures the volume only once it is AVAILABLE; a volume restored from that
// still-PENDING snapshot waits too (Normal event, not ERROR) and ends with the source's bytes.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createRuntimeClient, volume } from "@iri/api";
import { pushImage } from "@iri/oci/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, cephSetup } from "./ceph-setup.js";
import { type GatedRegistry, startGatedRegistry } from "./gated-registry.js";
import { eventually, type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

const { VolumeState, VolumeSnapshotState } = volume;
const MiB = 1 << 20;

describe("volume provider on the ceph backend: snapshots and restores wait for their source", () => {
  const scratch = scratchDir("volume-ceph-pending");
  const suffix = randomBytes(4).toString("hex");
  let setup: Awaited<ReturnType<typeof cephSetup>>;
  let provider: ProviderProcess;
  let gated: GatedRegistry;
  // Random bytes, so that a half-copied or zero-filled image cannot pass for the real one.
  const rootfs = randomBytes(8 * MiB);
  let imageRef: string;

  beforeAll(async () => {
    const registry = process.env.REGISTRY_ADDR;
    if (!registry) throw new Error("REGISTRY_ADDR must be set: run `source <(bash scripts/services.sh env)`");
    const image = await pushImage(registry, `iri-e2e/pending-${suffix}`, "v1", {
      layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: rootfs }],
    });
    gated = await startGatedRegistry(registry, image.layers[0]?.digest as string);
    imageRef = image.reference.replace(registry, gated.addr);
    setup = await cephSetup(scratch.dir, `pending-${suffix}`);
    provider = await startProvider("volume", scratch.dir, setup.args);
  }, 120_000);

  afterAll(async () => {
    await provider?.kill("SIGTERM");
    await gated?.close();
    await setup?.remove();
    scratch.remove();
  });

  it("holds the snapshot and the restore PENDING until the populated volume is AVAILABLE", async () => {
    const client = createRuntimeClient(volume.VolumeRuntime, provider.address);
    const volumeOf = async (id: string) => (await client.listVolumes({ filter: { id } })).volumes[0];
    const snapshotOf = async (id: string) =>
      (await client.listVolumeSnapshots({ filter: { id } })).volumeSnapshots[0];
    const eventsOf = async (id: string) => (await client.listEvents({ filter: { id } })).events;
    const createVolume = async (dataSource: MessageInitShape<typeof volume.VolumeDataSourceSchema>) =>
      (
        await client.createVolume({
          volume: {
            metadata: { labels: { test: suffix } },
            spec: {
              class: "standard",
              resources: { storageBytes: 16n * BigInt(MiB) },
              volumeDataSource: dataSource,
            },
          },
        })
      ).volume?.metadata?.id as string;

    const sourceId = await createVolume({ imageDataSource: { image: imageRef, architecture: "amd64" } });
    // The provider is downloading the image's rootfs: the gate holds it, so the volume is half-filled at most.
    await gated.requested;
    expect((await volumeOf(sourceId))?.status?.state).toBe(VolumeState.VOLUME_PENDING);

    const snapshotId = (
      await client.createVolumeSnapshot({
        volumeSnapshot: { metadata: { labels: { test: suffix } }, spec: { volumeId: sourceId } },
      })
    ).volumeSnapshot?.metadata?.id as string;
    const waitingSnapshot = await eventually(
      "the snapshot to report that it waits for its volume",
      async () => (await eventsOf(snapshotId)).find((e) => e.spec?.reason === "VolumeNotAvailable"),
      30_000,
    );
    expect(waitingSnapshot.spec?.type).toBe("Normal");
    expect(waitingSnapshot.spec?.message).toMatch(/VOLUME_PENDING/);
    expect((await snapshotOf(snapshotId))?.status?.state).toBe(VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING);

    const restoredId = await createVolume({ snapshotDataSource: { snapshotId } });
    const waitingRestore = await eventually(
      "the restore to report that it waits for its snapshot",
      async () => (await eventsOf(restoredId)).find((e) => e.spec?.reason === "SnapshotNotReady"),
      30_000,
    );
    expect(waitingRestore.spec?.type).toBe("Normal");
    expect((await volumeOf(restoredId))?.status?.state).toBe(VolumeState.VOLUME_PENDING);
    expect((await snapshotOf(snapshotId))?.status?.state).toBe(VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING);
    // Still held at the gate: nothing above could have seen a filled volume.
    expect((await volumeOf(sourceId))?.status?.state).toBe(VolumeState.VOLUME_PENDING);

    gated.open();
    // Each time the snapshot is seen READY, its volume was AVAILABLE before (a volume never goes back).
    await eventually(
      "the snapshot to become READY",
      async () => {
        const snapshot = await snapshotOf(snapshotId);
        const source = await volumeOf(sourceId);
        if (snapshot?.status?.state !== VolumeSnapshotState.VOLUME_SNAPSHOT_READY) return undefined;
        expect(source?.status?.state).toBe(VolumeState.VOLUME_AVAILABLE);
        return true;
      },
      90_000,
    );
    await eventually(
      "the restored volume to become AVAILABLE",
      async () => {
        const state = (await volumeOf(restoredId))?.status?.state;
        expect(state).not.toBe(VolumeState.VOLUME_ERROR);
        return state === VolumeState.VOLUME_AVAILABLE ? true : undefined;
      },
      90_000,
    );

    // The whole content of an RBD image or snapshot, read with the admin key.
    const sha256 = async (spec: string) => {
      const file = join(scratch.dir, "export.raw");
      await admin("rbd", ["export", `${setup.pool}/${spec}`, file]);
      const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
      rmSync(file);
      return digest;
    };
    const expected = createHash("sha256")
      .update(Buffer.concat([rootfs, Buffer.alloc(8 * MiB)]))
      .digest("hex");
    expect(await sha256(`iri-vol-${sourceId}`)).toBe(expected);
    expect(await sha256(`iri-vol-${sourceId}@iri-snap-${snapshotId}`)).toBe(expected);
    expect(await sha256(`iri-vol-${restoredId}`)).toBe(expected);
  }, 240_000);
});
