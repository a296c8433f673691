import type { MessageInitShape } from "@bufbuild/protobuf";
import type { volume } from "@iri/api";
import { listRecords } from "@iri/runtime-kit";
import { toVolume } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

export async function listVolumes(
  ctx: VolumeServerContext,
  req: volume.ListVolumesRequest,
): Promise<MessageInitShape<typeof volume.ListVolumesResponseSchema>> {
  return { volumes: listRecords(ctx.volumes, req.filter).map(toVolume) };
}
