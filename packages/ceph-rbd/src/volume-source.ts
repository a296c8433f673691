import { PermanentBackendError, type VolumeIntent } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import type { ImageCache } from "./image-cache.js";
import { locateImage } from "./snapshot-ops.js";
import type { SourceResolver, VolumeSource } from "./volume-apply.js";

/**
 * Where volumes' data comes from: a snapshot (its RBD snapshot, located once it may have moved to the kept
 * image), an IronCore image (the image cache), or nothing. Built once at open and handed to the backend, so
 * that applying a volume never calls back into the backend.
 */
export function volumeSources(deps: BackendDeps, cache: ImageCache): SourceResolver {
  return (intent, ctx, pool) => {
    const source = intent.spec.volumeDataSource;
    if (source?.snapshotDataSource) return snapshotSource(deps, intent, ctx.signal);
    if (source?.imageDataSource) return cache.sourceFor(intent, ctx, pool);
    return Promise.resolve({ kind: "empty" });
  };
}

/** The clone parent of a volume restored from a snapshot (on its volume's image or the kept image). */
export async function snapshotSource(
  deps: BackendDeps,
  intent: VolumeIntent,
  signal: AbortSignal,
): Promise<VolumeSource> {
  const snapshot = intent.snapshot;
  const where = snapshot?.placement;
  if (!snapshot || !where?.pool || !where.image || !where.snapshot) {
    throw new PermanentBackendError(
      "SnapshotNotReady",
      `snapshot ${snapshot?.id ?? "?"} has no RBD snapshot`,
    );
  }
  const image = await locateImage(deps, where.pool, where.image, signal);
  if (!image) {
    throw new PermanentBackendError(
      "SnapshotLost",
      `the RBD image of snapshot ${snapshot.id} no longer exists`,
    );
  }
  const parent = { pool: where.pool, image, snapshot: where.snapshot };
  return {
    kind: "clone",
    parent,
    what: `snapshot ${snapshot.id}`,
    ...(where.encryption !== undefined ? { encrypted: where.encryption === "luks2" } : {}),
    // The snapshot's size is not recorded: the clone is read after it is made.
    clone: async (pool, name, signal) => {
      await deps.rbd.clone(parent, pool, name, signal);
      return undefined;
    },
  };
}
