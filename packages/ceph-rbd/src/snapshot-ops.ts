import { volume } from "@iri/api";
import {
  type ApplyOutcome,
  formatCreationTag,
  type ObjectRef,
  type OperationContext,
  PermanentBackendError,
  type Placement,
  type RemoveOutcome,
  type SnapshotIntent,
  type SnapshotObservation,
} from "@iri/backend-api";
import { type BackendDeps, notifyWhenSettled } from "./backend-deps.js";
import { Meta, snapshotCreatedKey } from "./names.js";
import { readOwnerTag } from "./owned-images.js";
import { consumerBytesOf } from "./sizes.js";
import { parentChain } from "./volume-access.js";
import { volumeCaps } from "./volume-identity.js";

const FLATTEN_POLL_MS = 1_000;

/** Creates and protects the RBD snapshot `<p>-snap-<id>` on the volume's image. */
export async function applySnapshot(
  deps: BackendDeps,
  intent: SnapshotIntent,
  ctx: OperationContext<SnapshotObservation>,
): Promise<ApplyOutcome<SnapshotObservation>> {
  const { rbd } = deps;
  const where = ctx.placement ?? intent.volumePlacement;
  if (!where?.pool || !where.image) {
    throw new Error(`volume ${intent.volumeId} has no RBD image yet`);
  }
  const snapshot = ctx.placement?.snapshot ?? deps.names.snapshot(intent.id);
  const image = await locateImage(deps, where.pool, where.image, ctx.signal);
  if (!image) {
    throw new PermanentBackendError(
      ctx.placement ? "SnapshotLost" : "VolumeGone",
      `the RBD image of volume ${intent.volumeId} no longer exists`,
    );
  }
  const created = !ctx.placement;
  // Tagged before it exists: a snapshot with no tag is never taken for an orphan of this store.
  if (created)
    await rbd.setMetadata(
      where.pool,
      image,
      snapshotCreatedKey(snapshot),
      formatCreationTag(ctx.tag),
      ctx.signal,
    );
  await rbd.ensureProtectedSnapshot(where.pool, image, snapshot, ctx.signal);
  const info = (await rbd.snapshots(where.pool, image, ctx.signal)).find((s) => s.name === snapshot);
  if (!info)
    throw new Error(`RBD snapshot ${where.pool}/${image}@${snapshot} vanished right after it was created`);
  // As the volume's placement records it (the image's metadata is the volume consumer's to write), then as
  // this snapshot's recorded it; read from the metadata only for records older than that.
  const encryption =
    intent.volumePlacement?.encryption ??
    ctx.placement?.encryption ??
    ((await rbd.metadataValue(where.pool, image, Meta.encryption, ctx.signal)) === "luks2"
      ? "luks2"
      : "none");
  const sizeBytes = consumerBytesOf(info.size, encryption === "luks2");
  if (created) ctx.event("Normal", "SnapshotReady", `Snapshot ${where.pool}/${image}@${snapshot} is ready`);
  const placement: Placement = { pool: where.pool, image: where.image, snapshot, encryption };
  return { observation: { state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY, sizeBytes }, placement };
}

/**
 * Removes a snapshot: its clones are flattened first (in background jobs, so that no worker waits for a
 * copy), then the snapshot; the kept image of a deleted volume goes with its last snapshot.
 */
export async function removeSnapshot(deps: BackendDeps, ref: ObjectRef): Promise<RemoveOutcome> {
  const { rbd, names } = deps;
  const where = ref.placement;
  if (!where?.pool || !where.image) return undefined;
  const snapshot = where.snapshot ?? names.snapshot(ref.id);
  const image = await locateImage(deps, where.pool, where.image, ref.signal);
  if (!image) return undefined;
  // One job per snapshot flattens every clone and narrows its user's caps: the snapshot goes only once the
  // job settled, so no clone's user keeps a grant on it.
  const key = `unparent ${where.pool}/${image}@${snapshot}`;
  const state = deps.context.jobs.ensure(key, async (job) => {
    const children = await rbd.children(where.pool as string, image, snapshot, job.signal);
    await Promise.all(
      children.map(async (child) => {
        await rbd.flatten(child.pool, child.image, job.signal);
        await narrowAfterFlatten(deps, child.pool, child.image, job.signal);
      }),
    );
    notifyWhenSettled(deps, [ref.id]);
    return children.length;
  });
  if (state.status === "running") {
    return {
      afterMs: FLATTEN_POLL_MS,
      reason: "FlatteningClones",
      message: `Copying the data of the snapshot's clones off it before it is removed`,
    };
  }
  deps.context.jobs.forget(key);
  if (state.status === "failed") throw state.error;
  // A clone made while the job ran: another pass.
  if ((await rbd.children(where.pool, image, snapshot, ref.signal)).length > 0) {
    return { afterMs: FLATTEN_POLL_MS, reason: "FlatteningClones", message: "Clones of the snapshot remain" };
  }
  await rbd.removeSnapshot(where.pool, image, snapshot, ref.signal);
  await rbd.removeMetadata(where.pool, image, snapshotCreatedKey(snapshot), ref.signal);
  ref.event("Normal", "SnapshotDeleted", `Removed snapshot ${where.pool}/${image}@${snapshot}`);
  if (image.startsWith(names.keptPrefix)) await removeKeptIfUnused(deps, where.pool, image, ref.signal);
  return undefined;
}

/**
 * A flattened volume reads no parent any more: its cephx user loses the parent chain's caps now (its next
 * resync records the new caps). Images that are not volumes of ours have no user.
 */
async function narrowAfterFlatten(
  deps: BackendDeps,
  pool: string,
  image: string,
  signal: AbortSignal,
): Promise<void> {
  const volumeId = deps.names.volumeIdOf(image);
  if (volumeId === undefined || !image.startsWith(deps.names.volumePrefix)) return;
  const info = await deps.rbd.info(pool, image, signal);
  if (!info) return;
  const own = { pool, id: info.id, name: info.name };
  const caps = volumeCaps(own, await parentChain(deps, info, signal));
  await deps.identities.narrow(deps.names.identity(volumeId), caps, own, signal);
}

/** The image a snapshot lives on: its volume's image, or that volume's kept image once the volume is deleted. */
export async function locateImage(
  deps: BackendDeps,
  pool: string,
  image: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (await deps.rbd.info(pool, image, signal)) return image;
  const volumeId = deps.names.volumeIdOf(image);
  if (volumeId === undefined) return undefined;
  const kept = deps.names.kept(volumeId);
  return (await deps.rbd.info(pool, kept, signal)) ? kept : undefined;
}

/** Removes a kept image that has no snapshot left (also the clean-up of a crash between the two steps). */
export async function removeKeptIfUnused(
  deps: BackendDeps,
  pool: string,
  image: string,
  signal: AbortSignal,
): Promise<void> {
  if ((await deps.rbd.snapshots(pool, image, signal)).length > 0) return;
  const owner = await readOwnerTag(deps, pool, image, signal);
  if (owner !== deps.owner) return;
  await deps.rbd.remove(pool, image, signal);
}
