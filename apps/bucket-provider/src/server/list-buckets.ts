import type { HandlerContext } from "@connectrpc/connect";
import { bucket } from "@iri/api";
import { CachedListEncoder, listResponse } from "@iri/runtime-kit";
import { type BucketRecord, listedBucket } from "../bucket-store.js";
import type { BucketServerContext } from "./context.js";

const encoder = new CachedListEncoder<BucketRecord, typeof bucket.BucketSchema>(
  bucket.BucketSchema,
  listedBucket,
);

export async function listBuckets(
  ctx: BucketServerContext,
  req: bucket.ListBucketsRequest,
  context: HandlerContext,
): Promise<bucket.ListBucketsResponse> {
  return listResponse(encoder, context, bucket.ListBucketsResponseSchema, ctx.buckets, req.filter);
}
