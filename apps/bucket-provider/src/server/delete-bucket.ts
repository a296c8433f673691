import type { bucket } from "@iri/api";
import { notFound, requireNonEmpty } from "@iri/runtime-kit";
import type { BucketServerContext } from "./context.js";

/** Marks the bucket deleted; the reconciler removes it. Repeated calls during teardown are OK. */
export async function deleteBucket(
  ctx: BucketServerContext,
  req: bucket.DeleteBucketRequest,
): Promise<Record<string, never>> {
  requireNonEmpty(req.bucketId, "bucket_id");
  if (!ctx.buckets.get(req.bucketId)) throw notFound(`bucket ${JSON.stringify(req.bucketId)} not found`);
  await ctx.buckets.markDeleted(req.bucketId);
  return {};
}
