import { create } from "@bufbuild/protobuf";
import { type meta, volume } from "@iri/api";
import { protoCodec, type SealingKeys, sealedCodec, storedElement, toObjectMetadata } from "@iri/runtime-kit";
import type { Collection, Database, StoredRecord } from "@iri/store";

export type VolumeRecord = StoredRecord<volume.VolumeSpec, volume.VolumeStatus>;
export type VolumeCollection = Collection<volume.VolumeSpec, volume.VolumeStatus>;
export type SnapshotRecord = StoredRecord<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus>;
export type SnapshotCollection = Collection<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus>;

/** Held by every volume and snapshot until the backend has released its resources. */
export const BACKEND_FINALIZER = "volume-provider.iri.ironcore.dev/backend";

/**
 * The snapshot a restore was resolved to at CreateVolume (the poollet may have sent a name), kept on the
 * volume in the same write; the provider's own, so it is never returned (toVolume drops it) and a caller may
 * not set it.
 */
export const RESTORE_SNAPSHOT_ID = "volume-provider.iri.ironcore.dev/restore-snapshot-id";

/**
 * Sealed with the key-encryption key: the spec holds the LUKS passphrase (`encryption.secret_data`), the
 * status the consumer's Ceph key (`access.secret_data`).
 */
export function openVolumeCollection(db: Database, kek: Uint8Array | SealingKeys): VolumeCollection {
  return db.collection("volume", {
    spec: sealedCodec(protoCodec(volume.VolumeSpecSchema), kek, "volume spec"),
    status: sealedCodec(protoCodec(volume.VolumeStatusSchema), kek, "volume status"),
  });
}

export function openSnapshotCollection(db: Database): SnapshotCollection {
  return db.collection("volume_snapshot", {
    kind: "volume snapshot",
    spec: protoCodec(volume.VolumeSnapshotSpecSchema),
    status: protoCodec(volume.VolumeSnapshotStatusSchema),
  });
}

/**
 * The IRI message for a stored volume. `spec.encryption` is never returned (the passphrase stays in the
 * provider), nor the provider's own annotation: Create and every List omit them alike, so the volumepoollet,
 * which does not compare them, sees the same bytes every time.
 */
export function toVolume(record: VolumeRecord): volume.Volume {
  const { encryption: _passphrase, ...spec } = record.spec;
  return create(volume.VolumeSchema, {
    metadata: listedVolumeMetadata(record),
    spec,
    status: record.status,
  });
}

function listedVolumeMetadata(record: VolumeRecord): meta.ObjectMetadata {
  const metadata = toObjectMetadata(record.metadata);
  delete metadata.annotations[RESTORE_SNAPSHOT_ID];
  return metadata;
}

/** A stored volume as toVolume lists it, written from the stored bytes (the passphrase cut out of them). */
export const listedVolume = storedElement<volume.VolumeSpec, volume.VolumeStatus>(volume.VolumeSchema, {
  metadata: listedVolumeMetadata,
  omitSpecFields: [volume.VolumeSpecSchema.field.encryption.number],
});

export const listedSnapshot = storedElement<volume.VolumeSnapshotSpec, volume.VolumeSnapshotStatus>(
  volume.VolumeSnapshotSchema,
);

export function toVolumeSnapshot(record: SnapshotRecord): volume.VolumeSnapshot {
  return create(volume.VolumeSnapshotSchema, {
    metadata: toObjectMetadata(record.metadata),
    spec: record.spec,
    status: record.status,
  });
}
