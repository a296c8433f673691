import {
  type ApplyOutcome,
  BackendUnavailableError,
  type ObjectRef,
  type OperationContext,
  type OwnedResource,
  type PoolCapacity,
  type RemoveOutcome,
  type SnapshotIntent,
  type SnapshotObservation,
  type VolumeBackend,
  type VolumeClassConfig,
  type VolumeIntent,
  type VolumeObservation,
} from "@iri/backend-api";
import type { OciClient } from "@iri/oci";
import { type BackendDeps, poolOfClass } from "./backend-deps.js";
import { CephUnreachableError } from "./cli/ceph-command-error.js";
import type { ImageCache } from "./image-cache.js";
import { KeyedLock } from "./keyed-lock.js";
import type { LegacyConsumer } from "./legacy-consumer.js";
import { OwnedImageLister } from "./owned-images.js";
import { poolCapacity } from "./pool-capacity.js";
import { applySnapshot, removeKeptIfUnused, removeSnapshot } from "./snapshot-ops.js";
import { applyVolume, type SourceResolver } from "./volume-apply.js";
import { removeVolume } from "./volume-remove.js";

/** The VolumeBackend on Ceph RBD; built by `cephRbdBackend.open`. */
export class CephRbdBackend implements VolumeBackend {
  readonly name = "ceph";
  private readonly owned: OwnedImageLister;

  private readonly gcTimer: NodeJS.Timeout;
  private gcRunning: Promise<void> | undefined;
  /**
   * Per volume id: a volume's removal (which renames an image with snapshots to its kept name) and the removal
   * of one of its snapshots (which locates that image, then removes the snapshot and a kept image left without
   * any) take turns. Interleaved, a snapshot removed from the old name "gone already" left its snapshot and
   * the kept image behind for ever, and a rename after the last snapshot went left a kept image unreaped.
   */
  private readonly volumeLocks = new KeyedLock();

  constructor(
    private readonly deps: BackendDeps,
    private readonly cache: ImageCache,
    /** Where a new volume's data comes from (`volumeSources`). */
    private readonly resolveSource: SourceResolver,
    private readonly oci: OciClient,
    private readonly legacyConsumer: LegacyConsumer,
    /** Cache images without clones for this long are removed; also paces the collector. */
    private readonly cacheGcMs: number,
  ) {
    this.owned = new OwnedImageLister(deps);
    const every = Math.min(Math.max(cacheGcMs / 2, 10_000), 300_000);
    this.gcTimer = setInterval(() => this.collectInBackground(), every);
    this.gcTimer.unref();
  }

  apply(
    intent: VolumeIntent,
    ctx: OperationContext<VolumeObservation>,
  ): Promise<ApplyOutcome<VolumeObservation>> {
    return reachable(() => applyVolume(this.deps, intent, ctx, this.resolveSource));
  }

  remove(ref: ObjectRef): Promise<RemoveOutcome> {
    return this.volumeLocks.run(ref.id, () => reachable(() => removeVolume(this.deps, ref)));
  }

  applySnapshot(
    intent: SnapshotIntent,
    ctx: OperationContext<SnapshotObservation>,
  ): Promise<ApplyOutcome<SnapshotObservation>> {
    return reachable(() => applySnapshot(this.deps, intent, ctx));
  }

  removeSnapshot(ref: ObjectRef): Promise<RemoveOutcome> {
    const image = ref.placement?.image;
    const volumeId = image === undefined ? undefined : this.deps.names.volumeIdOf(image);
    const remove = () => reachable(() => removeSnapshot(this.deps, ref));
    return volumeId === undefined ? remove() : this.volumeLocks.run(volumeId, remove);
  }

  async listOwned(): Promise<{ volumes: OwnedResource[]; snapshots: OwnedResource[] }> {
    const { volumes, snapshots } = await reachable(() => this.owned.list());
    return { volumes, snapshots };
  }

  capacity(cls: VolumeClassConfig): Promise<PoolCapacity> {
    return reachable(() => poolCapacity(this.deps.cli, poolOfClass(this.deps, cls)));
  }

  capacityGroup(cls: VolumeClassConfig): string {
    return poolOfClass(this.deps, cls);
  }

  /**
   * Removes what no object needs any more and only this backend knows about: kept images whose last
   * snapshot is gone (a crash between the two removals), cache images left half-written by a crash, and
   * cache images no volume has been cloned from for the configured time, and the pool-wide consumer user of
   * earlier versions once every volume has a user of its own. Runs periodically.
   */
  async collectGarbage(signal: AbortSignal = new AbortController().signal): Promise<void> {
    const { names } = this.deps;
    // Volumes' owners matter only while the pool-wide consumer user of earlier versions waits to retire.
    const volumeTags = this.legacyConsumer.pending;
    const { volumes, others } = await reachable(() => this.owned.list(signal, { volumeTags }));
    if (this.legacyConsumer.pending) {
      const entities = volumes.filter((v) => v.owner === this.deps.owner).map((v) => names.identity(v.id));
      if (await reachable(() => this.legacyConsumer.retireIfUnused(entities, signal))) {
        this.deps.context.logger.info({}, "removed the pool-wide consumer user: every volume has its own");
      }
    }
    for (const { pool, image, owner, snapshots } of others) {
      if (owner !== this.deps.owner) continue;
      const name = image.image;
      if (name.startsWith(names.keptPrefix)) {
        if (snapshots.length === 0) await reachable(() => removeKeptIfUnused(this.deps, pool, name, signal));
        continue;
      }
      await reachable(() => this.cache.collect(pool, name, this.cacheGcMs, signal));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.gcTimer);
    await this.gcRunning;
    await this.oci.close();
    this.deps.identities.close();
  }

  private collectInBackground(): void {
    if (this.gcRunning) return;
    this.gcRunning = this.collectGarbage()
      .catch((error: unknown) =>
        this.deps.context.logger.warn({ err: String(error) }, "garbage collection failed"),
      )
      .finally(() => {
        this.gcRunning = undefined;
      });
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
