import { create, equals } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import {
  PermanentBackendError,
  type VolumeBackend,
  type VolumeClassConfig,
  type VolumeObservation,
} from "@iri/backend-api";
import { type BackendStateCollection, configuredClass, type ObjectControllerOptions } from "@iri/runtime-kit";
import { resolveSnapshot } from "../snapshot-source.js";
import { BACKEND_FINALIZER, type SnapshotCollection, type VolumeCollection } from "../volume-store.js";

export interface VolumeReconcilerDeps {
  volumes: VolumeCollection;
  snapshots: SnapshotCollection;
  /** Where snapshots live, as their backend recorded it (for restores). */
  snapshotStates: () => BackendStateCollection;
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
  const { volumes, snapshots, classes, backend } = deps;
  return {
    kind: "volume",
    collection: volumes,
    finalizer: BACKEND_FINALIZER,
    listOwned: async () => (await backend.listOwned()).volumes,
    apply: (record, ctx) => {
      const cls = configuredClass(classes, record.spec.class, "volume");
      const snapshotId = record.spec.volumeDataSource?.snapshotDataSource?.snapshotId;
      let snapshot:
        | { id: string; placement: Readonly<Record<string, string>> | undefined; sizeBytes: bigint }
        | undefined;
      if (snapshotId !== undefined && ctx.lastObservation?.state !== volume.VolumeState.VOLUME_AVAILABLE) {
        let source: ReturnType<typeof resolveSnapshot>;
        try {
          source = resolveSnapshot(snapshots, snapshotId, record.metadata.labels);
        } catch (err) {
          throw new PermanentBackendError("SnapshotNotFound", (err as Error).message);
        }
        snapshot = {
          id: source.metadata.id,
          placement: deps.snapshotStates().get(source.metadata.id)?.spec.placement,
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
