import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { bucket } from "@iri/api";
import { CachedListEncoder, isUnfiltered, listRecords } from "@iri/runtime-kit";
import { type BucketRecord, toBucket } from "../bucket-store.js";
import type { BucketServerContext } from "./context.js";

const encoder = new CachedListEncoder<BucketRecord, typeof bucket.BucketSchema>(
  bucket.BucketSchema,
  toBucket,
);

export async function listBuckets(
  ctx: BucketServerContext,
  req: bucket.ListBucketsRequest,
  context: HandlerContext,
): Promise<bucket.ListBucketsResponse> {
  const response = create(bucket.ListBucketsResponseSchema);
  const field = bucket.ListBucketsResponseSchema.field.buckets.number;
  return encoder.respond(
    context,
    response,
    field,
    listRecords(ctx.buckets, req.filter),
    isUnfiltered(req.filter),
  );
}
