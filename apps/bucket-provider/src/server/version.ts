import type { MessageInitShape } from "@bufbuild/protobuf";
import type { bucket } from "@iri/api";
import type { BucketServerContext } from "./context.js";

export async function version(
  ctx: BucketServerContext,
  _req: bucket.VersionRequest,
): Promise<MessageInitShape<typeof bucket.VersionResponseSchema>> {
  return { runtimeName: ctx.runtimeName, runtimeVersion: ctx.runtimeVersion };
}
