// The behaviour every volume backend owes the volume provider, run by each backend's own spec against the
// real storage it drives. Each case makes its own volumes, so any one can run alone.
import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type {
  SnapshotIntent,
  SnapshotObservation,
  VolumeBackend,
  VolumeClassConfig,
  VolumeIntent,
  VolumeObservation,
} from "@iri/backend-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendUnderTest, newObjectId } from "./backend-under-test.js";
import { expectNotOwned, expectOwned } from "./contract-cases.js";
import { ReconcilerDouble } from "./reconciler-double.js";
import { TestBackendContext } from "./test-backend-context.js";

export interface VolumeBackendUnderTest extends BackendUnderTest<VolumeBackend> {
  /** A class of this backend's (e.g. naming a test pool). */
  readonly volumeClass: VolumeClassConfig;
}

const MiB = 1n << 20n;
const { VolumeState, VolumeSnapshotState } = volume;

function volumeIntent(
  id: string,
  cls: VolumeClassConfig,
  storageBytes: bigint,
  snapshot?: VolumeIntent["snapshot"],
): VolumeIntent {
  const spec = create(volume.VolumeSpecSchema, {
    class: cls.name,
    resources: { storageBytes },
    ...(snapshot ? { volumeDataSource: { snapshotDataSource: { snapshotId: snapshot.id } } } : {}),
  });
  return { id, labels: {}, class: cls, spec, ...(snapshot ? { snapshot } : {}) };
}

export function describeVolumeBackendContract(subject: VolumeBackendUnderTest): void {
  const timeoutMs = subject.timeoutMs ?? 60_000;
  const cls = subject.volumeClass;

  describe(`volume backend contract: ${subject.name}`, () => {
    const context = new TestBackendContext({ provider: "volume-provider" });
    let backend: VolumeBackend;
    let volumes: ReconcilerDouble<VolumeIntent, VolumeObservation>;
    let snapshots: ReconcilerDouble<SnapshotIntent, SnapshotObservation>;
    const madeVolumes = new Set<string>();
    const madeSnapshots = new Set<string>();

    const available = async (sizeBytes = 64n * MiB) => {
      const id = newObjectId("c");
      madeVolumes.add(id);
      return { id, observation: await volumes.applyUntilDone(volumeIntent(id, cls, sizeBytes), timeoutMs) };
    };
    const snapshotOf = (volumeId: string): SnapshotIntent => ({
      id: newObjectId("s"),
      labels: {},
      volumeId,
      volumePlacement: volumes.placementOf(volumeId),
    });
    const kinds = (opened: VolumeBackend) => ({
      volumes: { apply: opened.apply.bind(opened), remove: opened.remove.bind(opened) },
      snapshots: { apply: opened.applySnapshot.bind(opened), remove: opened.removeSnapshot.bind(opened) },
    });

    beforeAll(async () => {
      backend = await subject.open(context);
      volumes = new ReconcilerDouble(kinds(backend).volumes, context);
      snapshots = new ReconcilerDouble(kinds(backend).snapshots, context);
    }, timeoutMs);

    afterAll(async () => {
      for (const id of madeSnapshots) await snapshots.removeUntilDone(id, timeoutMs).catch(() => undefined);
      for (const id of madeVolumes) await volumes.removeUntilDone(id, timeoutMs).catch(() => undefined);
      await backend?.close();
      await context.dispose();
    }, timeoutMs * 2);

    it("makes a volume available with an access and at least the size asked for", async () => {
      const { id, observation } = await available();
      expect(observation.state).toBe(VolumeState.VOLUME_AVAILABLE);
      expect(observation.access?.driver).not.toBe("");
      expect(observation.access?.handle).not.toBe("");
      expect(observation.storageBytes).toBeGreaterThanOrEqual(64n * MiB);
      const placement = volumes.placementOf(id);
      const again = await volumes.applyUntilDone(volumeIntent(id, cls, 64n * MiB), timeoutMs);
      expect(again.access).toEqual(observation.access);
      expect(volumes.placementOf(id)).toEqual(placement);
    });

    it("expands a volume", async () => {
      const { id } = await available();
      const grown = await volumes.applyUntilDone(volumeIntent(id, cls, 128n * MiB), timeoutMs);
      expect(grown.state).toBe(VolumeState.VOLUME_AVAILABLE);
      expect(grown.storageBytes).toBeGreaterThanOrEqual(128n * MiB);
    });

    it("snapshots a volume and restores the snapshot into a new volume", async () => {
      const { id } = await available();
      const snapshot = snapshotOf(id);
      madeSnapshots.add(snapshot.id);
      const ready = await snapshots.applyUntilDone(snapshot, timeoutMs);
      expect(ready.state).toBe(VolumeSnapshotState.VOLUME_SNAPSHOT_READY);
      expect(ready.sizeBytes).toBeGreaterThanOrEqual(64n * MiB);
      const restoredId = newObjectId("r");
      madeVolumes.add(restoredId);
      const source = {
        id: snapshot.id,
        placement: snapshots.placementOf(snapshot.id),
        sizeBytes: ready.sizeBytes,
      };
      const restored = await volumes.applyUntilDone(
        volumeIntent(restoredId, cls, ready.sizeBytes, source),
        timeoutMs,
      );
      expect(restored.state).toBe(VolumeState.VOLUME_AVAILABLE);
      expect(restored.storageBytes).toBeGreaterThanOrEqual(ready.sizeBytes);
    });

    it("lists volumes and snapshots with their owner tag, also after a restart", async () => {
      const { id } = await available();
      const snapshot = snapshotOf(id);
      madeSnapshots.add(snapshot.id);
      await snapshots.applyUntilDone(snapshot, timeoutMs);
      for (const opened of [backend, await reopen()]) {
        const owned = await opened.listOwned();
        expectOwned(owned.volumes, id, context, subject);
        expectOwned(owned.snapshots, snapshot.id, context, subject);
      }
    });

    it("removes snapshots and volumes for good; removing again finds nothing to do", async () => {
      const { id } = await available();
      const snapshot = snapshotOf(id);
      madeSnapshots.add(snapshot.id);
      await snapshots.applyUntilDone(snapshot, timeoutMs);
      await snapshots.removeUntilDone(snapshot.id, timeoutMs);
      await volumes.removeUntilDone(id, timeoutMs);
      madeSnapshots.delete(snapshot.id);
      madeVolumes.delete(id);
      const owned = await backend.listOwned();
      expectNotOwned(owned.volumes, id);
      expectNotOwned(owned.snapshots, snapshot.id);
      expect(await volumes.remove(id)).toBeUndefined();
      expect(await snapshots.remove(snapshot.id)).toBeUndefined();
    });

    it("treats removing a volume or snapshot it never made as done, touching nothing", async () => {
      const before = await backend.listOwned();
      expect(await volumes.remove(newObjectId("never"))).toBeUndefined();
      expect(await snapshots.remove(newObjectId("never"))).toBeUndefined();
      expect(await backend.listOwned()).toEqual(before);
    });

    it("reports the capacity behind its class", async () => {
      expect((await backend.capacity(cls)).totalBytes).toBeGreaterThan(0n);
    });

    /** The provider restarted: the same records and state directory, a backend opened anew. */
    async function reopen(): Promise<VolumeBackend> {
      await backend.close();
      await context.restart();
      backend = await subject.open(context);
      volumes.restartWith(kinds(backend).volumes);
      snapshots.restartWith(kinds(backend).snapshots);
      return backend;
    }
  });
}
