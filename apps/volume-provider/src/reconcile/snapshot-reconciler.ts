import { create, equals } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { SnapshotObservation, VolumeBackend } from "@iri/backend-api";
import type { BackendStateCollection, ObjectControllerOptions } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type SnapshotCollection } from "../volume-store.js";

export interface SnapshotReconcilerDeps {
  snapshots: SnapshotCollection;
  /** Where volumes live, as their backend recorded it: a snapshot is taken where its volume is. */
  volumeStates: BackendStateCollection;
  backend: VolumeBackend;
}

/** How snapshots go through the kit's reconciler; a permanent failure is VOLUME_SNAPSHOT_FAILED. */
export function snapshotReconcilerOptions(
  deps: SnapshotReconcilerDeps,
): ObjectControllerOptions<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus, SnapshotObservation> {
  const { snapshots, volumeStates, backend } = deps;
  return {
    kind: "volume_snapshot",
    collection: snapshots,
    finalizer: BACKEND_FINALIZER,
    listOwned: async () => (await backend.listOwned()).snapshots,
    apply: (record, ctx) =>
      backend.applySnapshot(
        {
          id: record.metadata.id,
          labels: record.metadata.labels,
          volumeId: record.spec.volumeId,
          volumePlacement: volumeStates.get(record.spec.volumeId)?.spec.placement,
        },
        ctx,
      ),
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
