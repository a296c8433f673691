import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { CachedListEncoder, isUnfiltered, listRecords } from "@iri/runtime-kit";
import { type SnapshotRecord, toVolumeSnapshot } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

const encoder = new CachedListEncoder<SnapshotRecord, typeof volume.VolumeSnapshotSchema>(
  volume.VolumeSnapshotSchema,
  toVolumeSnapshot,
);

export async function listVolumeSnapshots(
  ctx: VolumeServerContext,
  req: volume.ListVolumeSnapshotsRequest,
  context: HandlerContext,
): Promise<volume.ListVolumeSnapshotsResponse> {
  const response = create(volume.ListVolumeSnapshotsResponseSchema);
  const field = volume.ListVolumeSnapshotsResponseSchema.field.volumeSnapshots.number;
  return encoder.respond(
    context,
    response,
    field,
    listRecords(ctx.snapshots, req.filter),
    isUnfiltered(req.filter),
  );
}
