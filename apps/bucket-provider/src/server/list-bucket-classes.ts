import type { MessageInitShape } from "@bufbuild/protobuf";
import type { bucket } from "@iri/api";
import type { BucketServerContext } from "./context.js";

export async function listBucketClasses(
  ctx: BucketServerContext,
  _req: bucket.ListBucketClassesRequest,
): Promise<MessageInitShape<typeof bucket.ListBucketClassesResponseSchema>> {
  return {
    bucketClasses: ctx.classes.map((cls) => ({
      name: cls.name,
      capabilities: { tps: cls.tps, iops: cls.iops },
    })),
  };
}
