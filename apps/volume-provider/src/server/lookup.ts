import { failedPrecondition, notFound, requireNonEmpty } from "@iri/runtime-kit";
import type { SnapshotRecord, VolumeRecord } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";

export function getVolume(ctx: VolumeServerContext, volumeId: string): VolumeRecord {
  requireNonEmpty(volumeId, "volume_id");
  const record = ctx.volumes.get(volumeId);
  if (!record) throw notFound(`volume ${JSON.stringify(volumeId)} not found`);
  return record;
}

export function getLiveVolume(ctx: VolumeServerContext, volumeId: string): VolumeRecord {
  const record = getVolume(ctx, volumeId);
  if (record.metadata.deletedAt !== 0n)
    throw failedPrecondition(`volume ${JSON.stringify(volumeId)} is being deleted`);
  return record;
}

export function getSnapshot(ctx: VolumeServerContext, snapshotId: string): SnapshotRecord {
  requireNonEmpty(snapshotId, "volume_snapshot_id");
  const record = ctx.snapshots.get(snapshotId);
  if (!record) throw notFound(`volume snapshot ${JSON.stringify(snapshotId)} not found`);
  return record;
}
