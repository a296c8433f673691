import { create, equals } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import {
  type ApplyOutcome,
  PermanentBackendError,
  type SnapshotSource,
  type VolumeBackend,
  type VolumeClassConfig,
  type VolumeObservation,
} from "@iri/backend-api";
import { type BackendStateCollection, configuredClass, type ObjectControllerOptions } from "@iri/runtime-kit";
import { restoreSource } from "../snapshot-source.js";
import {
  BACKEND_FINALIZER,
  type SnapshotCollection,
  type SnapshotRecord,
  type VolumeCollection,
} from "../volume-store.js";

export interface VolumeReconcilerDeps {
  volumes: VolumeCollection;
  snapshots: SnapshotCollection;
  /** Where snapshots live, as their backend recorded it (for restores). */
  snapshotStates: BackendStateCollection;
  classes: readonly VolumeClassConfig[];
  backend: VolumeBackend;
}

/**
 * How volumes go through the kit's reconciler: the backend realises the spec (with the class and, for a
 * restore, the resolved snapshot and where it lives); its observation becomes the status. A permanent
 * failure is VOLUME_ERROR.
 */
export function volumeReconcilerOptions(
  deps: VolumeReconcilerDeps,
): ObjectControllerOptions<volume.VolumeSpec, volume.VolumeStatus, VolumeObservation> {
  const { volumes, snapshots, snapshotStates, classes, backend } = deps;
  return {
    kind: "volume",
    collection: volumes,
    finalizer: BACKEND_FINALIZER,
    listOwned: async () => (await backend.listOwned()).volumes,
    apply: (record, ctx) => {
      const cls = configuredClass(classes, record.spec.class, "volume");
      const restores = record.spec.volumeDataSource?.snapshotDataSource !== undefined;
      let snapshot: SnapshotSource | undefined;
      if (restores && ctx.lastObservation?.state !== volume.VolumeState.VOLUME_AVAILABLE) {
        let source: SnapshotRecord;
        try {
          source = restoreSource(snapshots, record);
        } catch (err) {
          throw new PermanentBackendError("SnapshotNotFound", (err as Error).message);
        }
        const notReady = snapshotNotReady(source);
        if (notReady) return Promise.resolve(notReady);
        snapshot = {
          id: source.metadata.id,
          placement: snapshotStates.get(source.metadata.id)?.spec.placement,
          sizeBytes: source.status.size,
        };
      }
      return backend.apply(
        {
          id: record.metadata.id,
          labels: record.metadata.labels,
          class: cls,
          spec: record.spec,
          ...(snapshot ? { snapshot } : {}),
        },
        ctx,
      );
    },
    remove: (ref) => backend.remove(ref),
    toStatus: (_record, observed) =>
      create(volume.VolumeStatusSchema, {
        state: observed.state,
        access: observed.access,
        resources: { storageBytes: observed.storageBytes },
      }),
    fromStatus: (record) =>
      record.status.state === volume.VolumeState.VOLUME_PENDING && !record.status.access
        ? undefined
        : {
            state: record.status.state,
            ...(record.status.access ? { access: record.status.access } : {}),
            storageBytes: record.status.resources?.storageBytes ?? 0n,
          },
    statusEquals: (a, b) => equals(volume.VolumeStatusSchema, a, b),
    failedStatus: (record) =>
      create(volume.VolumeStatusSchema, { ...record.status, state: volume.VolumeState.VOLUME_ERROR }),
    transition: (before, after) => {
      if (before.state === after.state) return undefined;
      if (after.state === volume.VolumeState.VOLUME_AVAILABLE) {
        return { type: "Normal", reason: "Available", message: "volume is available" };
      }
      return undefined;
    },
  };
}

const SNAPSHOT_POLL_MS = 2_000;

/**
 * A restore waits (PENDING) while its snapshot is being taken; a snapshot that failed fails the restore for
 * good at this generation.
 */
function snapshotNotReady(source: SnapshotRecord): ApplyOutcome<VolumeObservation> | undefined {
  const state = source.status.state;
  if (state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY) return undefined;
  if (state === volume.VolumeSnapshotState.VOLUME_SNAPSHOT_FAILED) {
    throw new PermanentBackendError(
      "SnapshotFailed",
      `volume snapshot ${source.metadata.id} failed; nothing to restore`,
    );
  }
  return {
    observation: { state: volume.VolumeState.VOLUME_PENDING, storageBytes: 0n },
    notDone: {
      afterMs: SNAPSHOT_POLL_MS,
      reason: "SnapshotNotReady",
      message: `waiting for volume snapshot ${source.metadata.id} to be ready`,
    },
  };
}
