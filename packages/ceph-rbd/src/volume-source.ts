import { PermanentBackendError, type VolumeIntent } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { locateImage } from "./snapshot-ops.js";
import type { VolumeSource } from "./volume-apply.js";

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
    clone: async (pool, name, signal) => {
      await deps.rbd.clone(parent, pool, name, signal);
    },
  };
}
