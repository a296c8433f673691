import { failedPrecondition, notFound } from "@iri/runtime-kit";
import { SNAPSHOT_NAME, SNAPSHOT_NAMESPACE, VOLUME_NAMESPACE } from "./poollet-labels.js";
import {
  RESTORE_SNAPSHOT_ID,
  type SnapshotCollection,
  type SnapshotRecord,
  type VolumeRecord,
} from "./volume-store.js";

/**
 * The snapshot a volume is restored from. The volumepoollet sends the Kubernetes VolumeSnapshot *name* as
 * `snapshot_id`, so when no snapshot has that id it is looked up by the poollet's name label, within the
 * volume's namespace. Unknown → NotFound; more than one match → FailedPrecondition.
 */
export function resolveSnapshot(
  snapshots: SnapshotCollection,
  snapshotId: string,
  volumeLabels: Readonly<Record<string, string>>,
): SnapshotRecord {
  const byId = snapshots.get(snapshotId);
  if (byId && byId.metadata.deletedAt === 0n) return byId;
  const selector: Record<string, string> = { [SNAPSHOT_NAME]: snapshotId };
  const namespace = volumeLabels[VOLUME_NAMESPACE];
  if (namespace !== undefined) selector[SNAPSHOT_NAMESPACE] = namespace;
  const matches = snapshots.list({ labelSelector: selector }).filter((s) => s.metadata.deletedAt === 0n);
  if (matches.length === 0) throw notFound(`volume snapshot ${JSON.stringify(snapshotId)} not found`);
  if (matches.length > 1) {
    throw failedPrecondition(
      `volume snapshot name ${JSON.stringify(snapshotId)} matches ${matches.length} snapshots; use the snapshot id`,
    );
  }
  return matches[0] as SnapshotRecord;
}

/**
 * The snapshot a stored volume restores from, by the id resolved at its create; NotFound once that snapshot
 * is gone or being deleted. Volumes stored before the resolved id was recorded carry none: theirs is
 * resolved from the spec as at create.
 */
export function restoreSource(snapshots: SnapshotCollection, record: VolumeRecord): SnapshotRecord {
  const resolved = record.metadata.annotations[RESTORE_SNAPSHOT_ID];
  if (resolved === undefined) {
    const requested = record.spec.volumeDataSource?.snapshotDataSource?.snapshotId ?? "";
    return resolveSnapshot(snapshots, requested, record.metadata.labels);
  }
  const snapshot = snapshots.get(resolved);
  if (snapshot?.metadata.deletedAt !== 0n)
    throw notFound(`volume snapshot ${JSON.stringify(resolved)} is gone`);
  return snapshot;
}
