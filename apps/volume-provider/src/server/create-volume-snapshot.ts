import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { createRecord, invalidArgument } from "@iri/runtime-kit";
import { resolveSnapshotVolume } from "../snapshot-volume.js";
import { BACKEND_FINALIZER, toVolumeSnapshot } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

export async function createVolumeSnapshot(
  ctx: VolumeServerContext,
  req: volume.CreateVolumeSnapshotRequest,
): Promise<MessageInitShape<typeof volume.CreateVolumeSnapshotResponseSchema>> {
  const spec = req.volumeSnapshot?.spec;
  if (!req.volumeSnapshot || !spec) throw invalidArgument("volume_snapshot.spec must be set");
  const metadata = req.volumeSnapshot.metadata;
  const labels = { ...metadata?.labels };
  // The metadata's id, labels and annotations were checked where the request entered (runtime-kit's request limits).
  // Stored with the volume's id, whichever way the caller named it, so the reconciler needs no second lookup.
  const source = resolveSnapshotVolume(ctx.volumes, spec.volumeId, labels);
  const storedSpec = create(volume.VolumeSnapshotSpecSchema, { volumeId: source.metadata.id });

  const record = await createRecord(ctx.snapshots, {
    requestedId: metadata?.id ?? "",
    labels,
    annotations: { ...metadata?.annotations },
    finalizers: [BACKEND_FINALIZER],
    spec: storedSpec,
    status: create(volume.VolumeSnapshotStatusSchema, {
      state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING,
    }),
    isSameRequest: (existing) => equals(volume.VolumeSnapshotSpecSchema, existing.spec, storedSpec),
  });
  return { volumeSnapshot: toVolumeSnapshot(record) };
}
