import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { CachedListEncoder, isUnfiltered, listRecords } from "@iri/runtime-kit";
import { toVolume, type VolumeRecord } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

const encoder = new CachedListEncoder<VolumeRecord, typeof volume.VolumeSchema>(
  volume.VolumeSchema,
  toVolume,
);

export async function listVolumes(
  ctx: VolumeServerContext,
  req: volume.ListVolumesRequest,
  context: HandlerContext,
): Promise<volume.ListVolumesResponse> {
  const response = create(volume.ListVolumesResponseSchema);
  const field = volume.ListVolumesResponseSchema.field.volumes.number;
  return encoder.respond(
    context,
    response,
    field,
    listRecords(ctx.volumes, req.filter),
    isUnfiltered(req.filter),
  );
}
