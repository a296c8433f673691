import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import { protoCodec, type SealingKeys, sealedCodec, storedElement, toObjectMetadata } from "@iri/runtime-kit";
import type { Collection, Database, StoredRecord } from "@iri/store";

export type BucketRecord = StoredRecord<bucket.BucketSpec, bucket.BucketStatus>;
export type BucketCollection = Collection<bucket.BucketSpec, bucket.BucketStatus>;

/** Held by every bucket until the backend has removed it. */
export const BACKEND_FINALIZER = "bucket-provider.iri.ironcore.dev/backend";

/** The status is sealed with the key-encryption key: its access carries the bucket's secret key. */
export function openBucketCollection(db: Database, kek: Uint8Array | SealingKeys): BucketCollection {
  return db.collection("bucket", {
    spec: protoCodec(bucket.BucketSpecSchema),
    status: sealedCodec(protoCodec(bucket.BucketStatusSchema), kek, "bucket status"),
  });
}

export function toBucket(record: BucketRecord): bucket.Bucket {
  return create(bucket.BucketSchema, {
    metadata: toObjectMetadata(record.metadata),
    spec: record.spec,
    status: record.status,
  });
}

/** A stored bucket as toBucket lists it, written from the stored bytes. */
export const listedBucket = storedElement<bucket.BucketSpec, bucket.BucketStatus>(bucket.BucketSchema);
