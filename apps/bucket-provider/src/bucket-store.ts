import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import { protoCodec, toObjectMetadata } from "@iri/runtime-kit";
import type { Collection, Database, StoredRecord } from "@iri/store";

export type BucketRecord = StoredRecord<bucket.BucketSpec, bucket.BucketStatus>;
export type BucketCollection = Collection<bucket.BucketSpec, bucket.BucketStatus>;

/** Held by every bucket until the backend has removed it. */
export const BACKEND_FINALIZER = "bucket-provider.iri.ironcore.dev/backend";

export function openBucketCollection(db: Database): BucketCollection {
  return db.collection("bucket", {
    spec: protoCodec(bucket.BucketSpecSchema),
    status: protoCodec(bucket.BucketStatusSchema),
  });
}

export function toBucket(record: BucketRecord): bucket.Bucket {
  return create(bucket.BucketSchema, {
    metadata: toObjectMetadata(record.metadata),
    spec: record.spec,
    status: record.status,
  });
}
