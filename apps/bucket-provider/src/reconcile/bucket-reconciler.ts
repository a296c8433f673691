import { create, equals } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import type { BucketBackend, BucketClassConfig, BucketObservation } from "@iri/backend-api";
import { configuredClass, type ObjectControllerOptions } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type BucketCollection } from "../bucket-store.js";

export interface BucketReconcilerDeps {
  buckets: BucketCollection;
  classes: readonly BucketClassConfig[];
  backend: BucketBackend;
}

/**
 * How buckets go through the kit's reconciler. A permanent failure (e.g. the name is taken by a bucket the
 * provider does not own) is BUCKET_ERROR; a deletion the backend cannot finish yet (a non-empty bucket whose
 * class does not purge) waits with one Warning event until the bucket is emptied.
 */
export function bucketReconcilerOptions(
  deps: BucketReconcilerDeps,
): ObjectControllerOptions<bucket.BucketSpec, bucket.BucketStatus, BucketObservation> {
  const { buckets, classes, backend } = deps;
  return {
    kind: "bucket",
    collection: buckets,
    finalizer: BACKEND_FINALIZER,
    listOwned: () => backend.listOwned(),
    apply: (record, ctx) => {
      const cls = configuredClass(classes, record.spec.class, "bucket");
      return backend.apply({ id: record.metadata.id, labels: record.metadata.labels, class: cls }, ctx);
    },
    remove: (ref) => backend.remove(ref),
    toStatus: (_record, observed) =>
      create(bucket.BucketStatusSchema, { state: observed.state, access: observed.access }),
    fromStatus: (record) =>
      record.status.state === bucket.BucketState.BUCKET_PENDING
        ? undefined
        : { state: record.status.state, ...(record.status.access ? { access: record.status.access } : {}) },
    statusEquals: (a, b) => equals(bucket.BucketStatusSchema, a, b),
    failedStatus: () => create(bucket.BucketStatusSchema, { state: bucket.BucketState.BUCKET_ERROR }),
    transition: (before, after) =>
      before.state !== after.state && after.state === bucket.BucketState.BUCKET_AVAILABLE
        ? { type: "Normal", reason: "Available", message: "bucket is available" }
        : undefined,
  };
}
