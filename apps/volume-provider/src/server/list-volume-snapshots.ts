import type { MessageInitShape } from "@bufbuild/protobuf";
import type { volume } from "@iri/api";
import { listRecords } from "@iri/runtime-kit";
import { toVolumeSnapshot } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

export async function listVolumeSnapshots(
  ctx: VolumeServerContext,
  req: volume.ListVolumeSnapshotsRequest,
): Promise<MessageInitShape<typeof volume.ListVolumeSnapshotsResponseSchema>> {
  return { volumeSnapshots: listRecords(ctx.snapshots, req.filter).map(toVolumeSnapshot) };
}
