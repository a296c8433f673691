import { failedPrecondition, notFound, requireNonEmpty } from "@iri/runtime-kit";
import { SNAPSHOT_NAMESPACE, VOLUME_NAME, VOLUME_NAMESPACE } from "./poollet-labels.js";
import type { VolumeCollection, VolumeRecord } from "./volume-store.js";

/**
 * The volume a snapshot is taken of. IronCore `main` sends the IRI volume id as `volume_id`; the released
 * volumepoollets (v0.4.x, v0.5.0) send the Kubernetes Volume's *name*, so when no volume has that id it is looked
 * up by the poollet's name label, in the snapshot's namespace. No match or more than one → NotFound naming what
 * was tried (a name that is ambiguous does not identify a volume).
 */
export function resolveSnapshotVolume(
  volumes: VolumeCollection,
  volumeId: string,
  snapshotLabels: Readonly<Record<string, string>>,
): VolumeRecord {
  requireNonEmpty(volumeId, "spec.volume_id");
  const byId = volumes.get(volumeId);
  const selector: Record<string, string> = { [VOLUME_NAME]: volumeId };
  const namespace = snapshotLabels[SNAPSHOT_NAMESPACE];
  if (namespace !== undefined) selector[VOLUME_NAMESPACE] = namespace;
  const record = byId ?? onlyMatch(preferLive(volumes.list({ labelSelector: selector })), volumeId, selector);
  if (record.metadata.deletedAt !== 0n) {
    throw failedPrecondition(`volume ${JSON.stringify(record.metadata.id)} is being deleted`);
  }
  return record;
}

/** A volume being deleted does not make a live one of the same name ambiguous (a Volume recreated under it). */
function preferLive(matches: VolumeRecord[]): VolumeRecord[] {
  const live = matches.filter((v) => v.metadata.deletedAt === 0n);
  return live.length > 0 ? live : matches;
}

function onlyMatch(
  matches: VolumeRecord[],
  volumeId: string,
  selector: Readonly<Record<string, string>>,
): VolumeRecord {
  if (matches.length === 1) return matches[0] as VolumeRecord;
  const tried = `no volume has id ${JSON.stringify(volumeId)}, and ${matches.length} volumes have labels ${JSON.stringify(selector)}`;
  throw notFound(
    matches.length === 0
      ? `volume ${JSON.stringify(volumeId)} not found: ${tried}`
      : `volume ${JSON.stringify(volumeId)} is ambiguous: ${tried}`,
  );
}
