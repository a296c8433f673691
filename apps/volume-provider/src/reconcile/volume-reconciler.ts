import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { PermanentBackendError, type VolumeBackend, type VolumeClassConfig } from "@iri/backend-api";
import { type ReconcileResult, TerminalError } from "@iri/reconcile";
import { type EventRecorder, writeStatus } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type VolumeCollection, type VolumeRecord } from "../volume-store.js";

export interface VolumeReconcilerDeps {
  volumes: VolumeCollection;
  classes: readonly VolumeClassConfig[];
  backend: VolumeBackend;
  events: EventRecorder;
}

/** Drives one volume towards its spec; deletion releases the backend's storage, then the finalizer. */
export function volumeReconciler(deps: VolumeReconcilerDeps) {
  const { volumes, classes, backend, events } = deps;

  async function setStatus(record: VolumeRecord, status: volume.VolumeStatus): Promise<void> {
    const updated = await writeStatus(volumes, volume.VolumeStatusSchema, record, status);
    if (
      updated.status.state === volume.VolumeState.VOLUME_AVAILABLE &&
      record.status.state !== volume.VolumeState.VOLUME_AVAILABLE
    ) {
      events.record({
        involved: updated.metadata,
        type: "Normal",
        reason: "Available",
        action: "Reconcile",
        message: "volume is available",
      });
    }
  }

  return async (id: string, signal: AbortSignal): Promise<ReconcileResult | undefined> => {
    const record = volumes.get(id);
    if (!record) return undefined;
    if (record.metadata.deletedAt !== 0n) {
      await backend.remove(id, signal);
      await volumes.removeFinalizer(id, BACKEND_FINALIZER);
      return undefined;
    }
    const cls = classes.find((c) => c.name === record.spec.class);
    try {
      if (!cls)
        throw new PermanentBackendError(
          "UnknownClass",
          `volume class ${JSON.stringify(record.spec.class)} is no longer configured`,
        );
      const observed = await backend.apply(
        { id, labels: record.metadata.labels, class: cls, spec: record.spec },
        signal,
      );
      await setStatus(
        record,
        create(volume.VolumeStatusSchema, {
          state: observed.state,
          access: observed.access,
          resources: { storageBytes: observed.storageBytes },
        }),
      );
      return observed.requeueAfterMs === undefined ? undefined : { requeueAfterMs: observed.requeueAfterMs };
    } catch (err) {
      if (!(err instanceof PermanentBackendError)) throw err;
      events.record({
        involved: record.metadata,
        type: "Warning",
        reason: err.reason,
        action: "Reconcile",
        message: err.message,
      });
      await setStatus(
        record,
        create(volume.VolumeStatusSchema, { ...record.status, state: volume.VolumeState.VOLUME_ERROR }),
      );
      throw new TerminalError(err.message);
    }
  };
}
