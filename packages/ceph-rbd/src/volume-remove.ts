import type { ObjectRef, RemoveOutcome } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { Errno, isCephErrno } from "./cli/ceph-command-error.js";
import { readOwnerTag } from "./owned-images.js";

const IN_USE_RETRY_MS = 5_000;

/**
 * Removes a volume's cephx user, then its image. An image with snapshots of ours is renamed to its hidden
 * `kept` name instead: the snapshots stay restorable, nothing of it is listed as a volume, and the last
 * snapshot's removal removes it. An image the store records is ours; without a record (a crash before it was
 * written) an image another provider instance tagged is never touched.
 */
export async function removeVolume(deps: BackendDeps, ref: ObjectRef): Promise<RemoveOutcome> {
  const { rbd, names } = deps;
  const signal = ref.signal;
  // Without a placement the volume may still have been created (a crash before its placement was stored).
  const candidates = ref.placement?.pool
    ? [{ pool: ref.placement.pool, image: ref.placement.image ?? names.volume(ref.id) }]
    : deps.pools.map((pool) => ({ pool, image: names.volume(ref.id) }));
  const entity = names.identity(ref.id);
  const recorded = ref.placement?.identity === entity;
  // A recorded user goes first, even when the image is already gone (a crash between the two removals).
  if (recorded && (await deps.identities.remove(entity, true, undefined, signal))) {
    ref.event("Normal", "CredentialsRevoked", `Removed the volume's cephx user ${entity}`);
  }
  for (const { pool, image } of candidates) {
    const info = await rbd.info(pool, image, signal);
    if (!info) continue;
    if (ref.placement?.image !== image) {
      const owner = await readOwnerTag(deps, pool, image, signal);
      if (owner !== undefined && owner !== deps.owner) {
        deps.context.logger.warn(
          { pool, image, owner },
          "not removing an RBD image another provider instance owns",
        );
        continue;
      }
    }
    if (!recorded && (await deps.identities.remove(entity, false, { pool, id: info.id }, signal))) {
      ref.event("Normal", "CredentialsRevoked", `Removed the volume's cephx user ${entity}`);
    }
    const watchers = await rbd.watchers(pool, image, signal);
    if (watchers.length > 0) return inUse(pool, image, watchers);
    const snapshots = await rbd.snapshots(pool, image, signal);
    if (snapshots.length > 0) {
      const foreign = snapshots.filter((s) => names.snapshotIdOf(s.name) === undefined).map((s) => s.name);
      if (foreign.length > 0) {
        return {
          afterMs: IN_USE_RETRY_MS,
          reason: "ForeignSnapshots",
          message: `RBD image ${pool}/${image} has snapshots this provider did not make: ${foreign.join(", ")}`,
          blocked: true,
        };
      }
      await rbd.rename(pool, image, names.kept(ref.id), signal);
      ref.event(
        "Normal",
        "VolumeKeptForSnapshots",
        `Kept the data of ${snapshots.length} snapshot(s) of ${pool}/${image}`,
      );
      continue;
    }
    try {
      await rbd.remove(pool, image, signal);
    } catch (error) {
      // A client opened it between the check and the removal.
      if (isCephErrno(error, Errno.EBUSY)) return inUse(pool, image, ["a client"]);
      throw error;
    }
    ref.event("Normal", "VolumeDeleted", `Removed RBD image ${pool}/${image}`);
  }
  return undefined;
}

function inUse(pool: string, image: string, watchers: string[]): RemoveOutcome {
  return {
    afterMs: IN_USE_RETRY_MS,
    reason: "VolumeInUse",
    message: `RBD image ${pool}/${image} is open by ${watchers.join(", ")}; it is removed once they close it`,
    blocked: true,
  };
}
