import type { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";
import { getSnapshot } from "./lookup.js";

export async function deleteVolumeSnapshot(
  ctx: VolumeServerContext,
  req: volume.DeleteVolumeSnapshotRequest,
): Promise<Record<string, never>> {
  getSnapshot(ctx, req.volumeSnapshotId);
  await ctx.snapshots.markDeleted(req.volumeSnapshotId);
  return {};
}
