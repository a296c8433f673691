import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { createRecord, invalidArgument, validateStringMap } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, toVolumeSnapshot } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";
import { getLiveVolume } from "./lookup.js";

export async function createVolumeSnapshot(
  ctx: VolumeServerContext,
  req: volume.CreateVolumeSnapshotRequest,
): Promise<MessageInitShape<typeof volume.CreateVolumeSnapshotResponseSchema>> {
  const spec = req.volumeSnapshot?.spec;
  if (!req.volumeSnapshot || !spec) throw invalidArgument("volume_snapshot.spec must be set");
  const metadata = req.volumeSnapshot.metadata;
  validateStringMap(metadata?.labels ?? {}, "metadata.labels");
  validateStringMap(metadata?.annotations ?? {}, "metadata.annotations");
  getLiveVolume(ctx, spec.volumeId, "spec.volume_id");

  const record = await createRecord(ctx.snapshots, {
    requestedId: metadata?.id ?? "",
    labels: { ...metadata?.labels },
    annotations: { ...metadata?.annotations },
    finalizers: [BACKEND_FINALIZER],
    spec,
    status: create(volume.VolumeSnapshotStatusSchema, {
      state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING,
    }),
    isSameRequest: (existing) => equals(volume.VolumeSnapshotSpecSchema, existing.spec, spec),
  });
  return { volumeSnapshot: toVolumeSnapshot(record) };
}
