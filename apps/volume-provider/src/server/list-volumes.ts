import type { HandlerContext } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { CachedListEncoder, listResponse } from "@iri/runtime-kit";
import { listedVolume, type VolumeRecord } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

const encoder = new CachedListEncoder<VolumeRecord, typeof volume.VolumeSchema>(
  volume.VolumeSchema,
  listedVolume,
);

export async function listVolumes(
  ctx: VolumeServerContext,
  req: volume.ListVolumesRequest,
  context: HandlerContext,
): Promise<volume.ListVolumesResponse> {
  return listResponse(encoder, context, volume.ListVolumesResponseSchema, ctx.volumes, req.filter);
}
