import type { MessageInitShape } from "@bufbuild/protobuf";
import type { bucket } from "@iri/api";
import { listRecords } from "@iri/runtime-kit";
import { toBucket } from "../bucket-store.js";
import type { BucketServerContext } from "./context.js";

export async function listBuckets(
  ctx: BucketServerContext,
  req: bucket.ListBucketsRequest,
): Promise<MessageInitShape<typeof bucket.ListBucketsResponseSchema>> {
  return { buckets: listRecords(ctx.buckets, req.filter).map(toBucket) };
}
