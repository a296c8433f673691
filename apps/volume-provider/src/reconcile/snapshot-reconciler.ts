import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { PermanentBackendError, type VolumeBackend } from "@iri/backend-api";
import { type ReconcileResult, TerminalError } from "@iri/reconcile";
import { type EventRecorder, writeStatus } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type SnapshotCollection } from "../volume-store.js";

export interface SnapshotReconcilerDeps {
  snapshots: SnapshotCollection;
  backend: VolumeBackend;
  events: EventRecorder;
}

/** Takes one snapshot of its volume; deletion releases the backend's snapshot, then the finalizer. */
export function snapshotReconciler(deps: SnapshotReconcilerDeps) {
  const { snapshots, backend, events } = deps;

  return async (id: string, signal: AbortSignal): Promise<ReconcileResult | undefined> => {
    const record = snapshots.get(id);
    if (!record) return undefined;
    if (record.metadata.deletedAt !== 0n) {
      await backend.removeSnapshot(id, signal);
      await snapshots.removeFinalizer(id, BACKEND_FINALIZER);
      return undefined;
    }
    if (record.status.state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_FAILED) return undefined;
    try {
      const observed = await backend.applySnapshot({ id, volumeId: record.spec.volumeId }, signal);
      await writeStatus(
        snapshots,
        volume.VolumeSnapshotStatusSchema,
        record,
        create(volume.VolumeSnapshotStatusSchema, { state: observed.state, size: observed.sizeBytes }),
      );
      return observed.requeueAfterMs === undefined ? undefined : { requeueAfterMs: observed.requeueAfterMs };
    } catch (err) {
      if (!(err instanceof PermanentBackendError)) throw err;
      events.record({
        involved: record.metadata,
        type: "Warning",
        reason: err.reason,
        action: "Snapshot",
        message: err.message,
      });
      await writeStatus(
        snapshots,
        volume.VolumeSnapshotStatusSchema,
        record,
        create(volume.VolumeSnapshotStatusSchema, {
          state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_FAILED,
        }),
      );
      throw new TerminalError(err.message);
    }
  };
}
