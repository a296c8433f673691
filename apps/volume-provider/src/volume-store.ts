import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { protoCodec, toObjectMetadata } from "@iri/runtime-kit";
import type { Collection, Database, StoredRecord } from "@iri/store";

export type VolumeRecord = StoredRecord<volume.VolumeSpec, volume.VolumeStatus>;
export type VolumeCollection = Collection<volume.VolumeSpec, volume.VolumeStatus>;
export type SnapshotRecord = StoredRecord<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus>;
export type SnapshotCollection = Collection<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus>;

/** Held by every volume and snapshot until the backend has released its resources. */
export const BACKEND_FINALIZER = "volume-provider.iri.ironcore.dev/backend";

export function openVolumeCollection(db: Database): VolumeCollection {
  return db.collection("volume", {
    spec: protoCodec(volume.VolumeSpecSchema),
    status: protoCodec(volume.VolumeStatusSchema),
  });
}

export function openSnapshotCollection(db: Database): SnapshotCollection {
  return db.collection("volume_snapshot", {
    kind: "volume snapshot",
    spec: protoCodec(volume.VolumeSnapshotSpecSchema),
    status: protoCodec(volume.VolumeSnapshotStatusSchema),
  });
}

export function toVolume(record: VolumeRecord): volume.Volume {
  return create(volume.VolumeSchema, {
    metadata: toObjectMetadata(record.metadata),
    spec: record.spec,
    status: record.status,
  });
}

export function toVolumeSnapshot(record: SnapshotRecord): volume.VolumeSnapshot {
  return create(volume.VolumeSnapshotSchema, {
    metadata: toObjectMetadata(record.metadata),
    spec: record.spec,
    status: record.status,
  });
}
