import type { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";
import { getVolume } from "./lookup.js";

/** Marks the volume deleted; the reconciler releases it. Repeated calls during teardown are OK. */
export async function deleteVolume(
  ctx: VolumeServerContext,
  req: volume.DeleteVolumeRequest,
): Promise<Record<string, never>> {
  getVolume(ctx, req.volumeId);
  await ctx.volumes.markDeleted(req.volumeId);
  return {};
}
