import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import { createRecord, invalidArgument } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, toBucket } from "../bucket-store.js";
import type { BucketServerContext } from "./context.js";

export async function createBucket(
  ctx: BucketServerContext,
  req: bucket.CreateBucketRequest,
): Promise<MessageInitShape<typeof bucket.CreateBucketResponseSchema>> {
  const spec = req.bucket?.spec;
  if (!req.bucket || !spec) throw invalidArgument("bucket.spec must be set");
  const metadata = req.bucket.metadata;
  // The metadata's id, labels and annotations were checked where the request entered (runtime-kit's request limits).
  if (spec.class === "") throw invalidArgument("spec.class must be set");
  if (!ctx.classes.some((c) => c.name === spec.class)) {
    throw invalidArgument(`spec.class: unknown bucket class ${JSON.stringify(spec.class)}`);
  }
  const record = await createRecord(ctx.buckets, {
    requestedId: metadata?.id ?? "",
    labels: { ...metadata?.labels },
    annotations: { ...metadata?.annotations },
    finalizers: [BACKEND_FINALIZER],
    spec,
    status: create(bucket.BucketStatusSchema, { state: bucket.BucketState.BUCKET_PENDING }),
    isSameRequest: (existing) => equals(bucket.BucketSpecSchema, existing.spec, spec),
  });
  return { bucket: toBucket(record) };
}
