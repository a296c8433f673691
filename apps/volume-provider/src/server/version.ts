import type { MessageInitShape } from "@bufbuild/protobuf";
import type { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";

export async function version(
  ctx: VolumeServerContext,
  _req: volume.VersionRequest,
): Promise<MessageInitShape<typeof volume.VersionResponseSchema>> {
  return { runtimeName: ctx.runtimeName, runtimeVersion: ctx.runtimeVersion };
}
