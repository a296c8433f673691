import type { HandlerContext } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { CachedListEncoder, listResponse } from "@iri/runtime-kit";
import { listedSnapshot, type SnapshotRecord } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

const encoder = new CachedListEncoder<SnapshotRecord, typeof volume.VolumeSnapshotSchema>(
  volume.VolumeSnapshotSchema,
  listedSnapshot,
);

export async function listVolumeSnapshots(
  ctx: VolumeServerContext,
  req: volume.ListVolumeSnapshotsRequest,
  context: HandlerContext,
): Promise<volume.ListVolumeSnapshotsResponse> {
  return listResponse(encoder, context, volume.ListVolumeSnapshotsResponseSchema, ctx.snapshots, req.filter);
}
