import {
  type ApplyOutcome,
  BackendUnavailableError,
  type ObjectRef,
  type OperationContext,
  type OwnedResource,
  PermanentBackendError,
  type PoolCapacity,
  type RemoveOutcome,
  type SnapshotIntent,
  type SnapshotObservation,
  type VolumeBackend,
  type VolumeClassConfig,
  type VolumeIntent,
  type VolumeObservation,
} from "@iri/backend-api";
import { type BackendDeps, poolOfClass } from "./backend-deps.js";
import { CephUnreachableError } from "./cli/ceph-command-error.js";
import { OwnedImageLister } from "./owned-images.js";
import { poolCapacity } from "./pool-capacity.js";
import { applySnapshot, removeKeptIfUnused, removeSnapshot } from "./snapshot-ops.js";
import { applyVolume, type VolumeSource } from "./volume-apply.js";
import { removeVolume } from "./volume-remove.js";
import { snapshotSource } from "./volume-source.js";

/** The VolumeBackend on Ceph RBD; built by `cephRbdBackend.open`. */
export class CephRbdBackend implements VolumeBackend {
  readonly name = "ceph";
  private readonly owned: OwnedImageLister;

  constructor(private readonly deps: BackendDeps) {
    this.owned = new OwnedImageLister(deps);
  }

  apply(
    intent: VolumeIntent,
    ctx: OperationContext<VolumeObservation>,
  ): Promise<ApplyOutcome<VolumeObservation>> {
    return reachable(() => applyVolume(this.deps, intent, ctx, (i, c) => this.sourceOf(i, c)));
  }

  remove(ref: ObjectRef): Promise<RemoveOutcome> {
    return reachable(() => removeVolume(this.deps, ref));
  }

  applySnapshot(
    intent: SnapshotIntent,
    ctx: OperationContext<SnapshotObservation>,
  ): Promise<ApplyOutcome<SnapshotObservation>> {
    return reachable(() => applySnapshot(this.deps, intent, ctx));
  }

  removeSnapshot(ref: ObjectRef): Promise<RemoveOutcome> {
    return reachable(() => removeSnapshot(this.deps, ref));
  }

  async listOwned(): Promise<{ volumes: OwnedResource[]; snapshots: OwnedResource[] }> {
    const { volumes, snapshots } = await reachable(() => this.owned.list());
    return { volumes, snapshots };
  }

  capacity(cls: VolumeClassConfig): Promise<PoolCapacity> {
    return reachable(() => poolCapacity(this.deps.cli, poolOfClass(this.deps, cls)));
  }

  /**
   * Removes what no object needs any more and only this backend knows about: kept images whose last
   * snapshot is gone (a crash between the two removals). Run at start and periodically.
   */
  async collectGarbage(signal?: AbortSignal): Promise<void> {
    const { others } = await reachable(() => this.owned.list(signal));
    for (const other of others) {
      if (other.owner !== this.deps.owner || other.snapshots.length > 0) continue;
      if (!other.image.image.startsWith(this.deps.names.keptPrefix)) continue;
      await reachable(() =>
        removeKeptIfUnused(this.deps, other.pool, other.image.image, signal ?? new AbortController().signal),
      );
    }
  }

  async close(): Promise<void> {}

  private async sourceOf(
    intent: VolumeIntent,
    ctx: OperationContext<VolumeObservation>,
  ): Promise<VolumeSource> {
    const source = intent.spec.volumeDataSource;
    if (source?.snapshotDataSource) return snapshotSource(this.deps, intent, ctx.signal);
    if (source?.imageDataSource) {
      throw new PermanentBackendError(
        "ImageSourceUnsupported",
        "volumes from IronCore images are not available yet",
      );
    }
    return { kind: "empty" };
  }
}

/** Runs a Ceph operation, turning "the cluster did not answer" into the seam's BackendUnavailableError. */
async function reachable<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof CephUnreachableError)
      throw new BackendUnavailableError(error.message, { cause: error });
    throw error;
  }
}
