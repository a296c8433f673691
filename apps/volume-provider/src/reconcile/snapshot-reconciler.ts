import { create, equals } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { ApplyOutcome, SnapshotObservation, VolumeBackend } from "@iri/backend-api";
import type { BackendStateCollection, ObjectControllerOptions } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type SnapshotCollection, type VolumeCollection } from "../volume-store.js";

export interface SnapshotReconcilerDeps {
  snapshots: SnapshotCollection;
  /** A snapshot is taken only of an AVAILABLE volume: never of one still being filled. */
  volumes: VolumeCollection;
  /** Where volumes live, as their backend recorded it: a snapshot is taken where its volume is. */
  volumeStates: BackendStateCollection;
  backend: VolumeBackend;
}

/** How snapshots go through the kit's reconciler; a permanent failure is VOLUME_SNAPSHOT_FAILED. */
export function snapshotReconcilerOptions(
  deps: SnapshotReconcilerDeps,
): ObjectControllerOptions<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus, SnapshotObservation> {
  const { snapshots, volumes, volumeStates, backend } = deps;
  return {
    kind: "volume_snapshot",
    collection: snapshots,
    finalizer: BACKEND_FINALIZER,
    listOwned: async () => (await backend.listOwned()).snapshots,
    apply: async (record, ctx) => {
      const waiting = ctx.placement ? undefined : volumeNotAvailable(volumes, record.spec.volumeId);
      if (waiting) return waiting;
      return backend.applySnapshot(
        {
          id: record.metadata.id,
          labels: record.metadata.labels,
          volumeId: record.spec.volumeId,
          volumePlacement: volumeStates.get(record.spec.volumeId)?.spec.placement,
        },
        ctx,
      );
    },
    remove: (ref) => backend.removeSnapshot(ref),
    toStatus: (_record, observed) =>
      create(volume.VolumeSnapshotStatusSchema, { state: observed.state, size: observed.sizeBytes }),
    fromStatus: (record) =>
      record.status.state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING
        ? undefined
        : { state: record.status.state, sizeBytes: record.status.size },
    statusEquals: (a, b) => equals(volume.VolumeSnapshotStatusSchema, a, b),
    failedStatus: (record) =>
      create(volume.VolumeSnapshotStatusSchema, {
        ...record.status,
        state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_FAILED,
      }),
    transition: (before, after) =>
      before.state !== after.state && after.state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY
        ? { type: "Normal", reason: "SnapshotReady", message: `snapshot is ready (${after.size} bytes)` }
        : undefined,
  };
}

const VOLUME_POLL_MS = 2_000;

/**
 * A PENDING outcome while the snapshot's volume is not AVAILABLE (still being created, filled or copied):
 * the snapshot waits rather than capturing a half-written volume. A volume that is gone is the backend's to
 * report (VolumeGone).
 */
function volumeNotAvailable(
  volumes: VolumeCollection,
  volumeId: string,
): ApplyOutcome<SnapshotObservation> | undefined {
  const source = volumes.get(volumeId);
  if (source?.metadata.deletedAt !== 0n) return undefined;
  const state = source.status.state;
  if (state === volume.VolumeState.VOLUME_AVAILABLE) return undefined;
  return {
    observation: { state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING, sizeBytes: 0n },
    notDone: {
      afterMs: VOLUME_POLL_MS,
      reason: "VolumeNotAvailable",
      message: `volume ${volumeId} is ${volume.VolumeState[state]}; the snapshot is taken once it is VOLUME_AVAILABLE`,
    },
  };
}
