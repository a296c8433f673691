import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import {
  type BucketBackend,
  type BucketClassConfig,
  DeletionBlockedError,
  PermanentBackendError,
} from "@iri/backend-api";
import { type ReconcileResult, TerminalError } from "@iri/reconcile";
import { type EventRecorder, writeStatus } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type BucketCollection, type BucketRecord } from "../bucket-store.js";

export interface BucketReconcilerDeps {
  buckets: BucketCollection;
  classes: readonly BucketClassConfig[];
  backend: BucketBackend;
  events: EventRecorder;
  /** How often a blocked deletion (e.g. a non-empty bucket) is tried again. */
  blockedDeleteRetryMs?: number;
}

/** Drives one bucket towards its spec; deletion removes it from the backend, then the finalizer. */
export function bucketReconciler(deps: BucketReconcilerDeps) {
  const { buckets, classes, backend, events } = deps;
  const blockedRetryMs = deps.blockedDeleteRetryMs ?? 30_000;

  async function setStatus(record: BucketRecord, status: bucket.BucketStatus): Promise<void> {
    const updated = await writeStatus(buckets, bucket.BucketStatusSchema, record, status);
    if (
      updated.status.state === bucket.BucketState.BUCKET_AVAILABLE &&
      record.status.state !== bucket.BucketState.BUCKET_AVAILABLE
    ) {
      events.record({
        involved: updated.metadata,
        type: "Normal",
        reason: "Available",
        action: "Reconcile",
        message: "bucket is available",
      });
    }
  }

  return async (id: string, signal: AbortSignal): Promise<ReconcileResult | undefined> => {
    const record = buckets.get(id);
    if (!record) return undefined;
    if (record.metadata.deletedAt !== 0n) {
      try {
        await backend.remove(id, signal);
      } catch (err) {
        if (!(err instanceof DeletionBlockedError)) throw err;
        events.record({
          involved: record.metadata,
          type: "Warning",
          reason: err.reason,
          action: "Delete",
          message: err.message,
        });
        return { requeueAfterMs: blockedRetryMs };
      }
      await buckets.removeFinalizer(id, BACKEND_FINALIZER);
      return undefined;
    }
    const cls = classes.find((c) => c.name === record.spec.class);
    try {
      if (!cls)
        throw new PermanentBackendError(
          "UnknownClass",
          `bucket class ${JSON.stringify(record.spec.class)} is no longer configured`,
        );
      const observed = await backend.apply({ id, labels: record.metadata.labels, class: cls }, signal);
      await setStatus(
        record,
        create(bucket.BucketStatusSchema, { state: observed.state, access: observed.access }),
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
      await setStatus(record, create(bucket.BucketStatusSchema, { state: bucket.BucketState.BUCKET_ERROR }));
      throw new TerminalError(err.message);
    }
  };
}
