import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type {
  ApplyOutcome,
  BackendFactory,
  ObjectRef,
  OperationContext,
  OwnedResource,
  PoolCapacity,
  RemoveOutcome,
  SnapshotIntent,
  SnapshotObservation,
  VolumeBackend,
  VolumeClassConfig,
  VolumeIntent,
  VolumeObservation,
} from "@iri/backend-api";
import { NotedObjects } from "./noted-objects.js";

/**
 * Stores nothing. Every volume is reported available with a `noop` access that no machine backend can
 * open; snapshots are ready at once. For wiring tests and the conformance suite only.
 */
export class NoopVolumeBackend implements VolumeBackend {
  readonly name = "noop";

  constructor(
    private readonly volumes: NotedObjects,
    private readonly snapshots: NotedObjects,
    private readonly capacityBytes: bigint,
  ) {}

  async apply(
    intent: VolumeIntent,
    ctx: OperationContext<VolumeObservation>,
  ): Promise<ApplyOutcome<VolumeObservation>> {
    const storageBytes = intent.spec.resources?.storageBytes ?? 0n;
    const placement = { pool: this.capacityGroup(intent.class) };
    if (this.volumes.sizeOf(intent.id) !== storageBytes)
      this.volumes.note(intent.id, ctx.tag, placement, storageBytes);
    return {
      placement,
      observation: {
        state: volume.VolumeState.VOLUME_AVAILABLE,
        access: create(volume.VolumeAccessSchema, { driver: "noop", handle: intent.id }),
        storageBytes,
      },
    };
  }

  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    this.volumes.forget(ref.id);
    return undefined;
  }

  async applySnapshot(
    intent: SnapshotIntent,
    ctx: OperationContext<SnapshotObservation>,
  ): Promise<ApplyOutcome<SnapshotObservation>> {
    const sizeBytes = this.volumes.sizeOf(intent.volumeId) ?? 0n;
    if (!this.snapshots.has(intent.id))
      this.snapshots.note(intent.id, ctx.tag, intent.volumePlacement ?? {}, sizeBytes);
    return {
      placement: intent.volumePlacement ?? {},
      observation: { state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY, sizeBytes },
    };
  }

  async removeSnapshot(ref: ObjectRef): Promise<RemoveOutcome> {
    this.snapshots.forget(ref.id);
    return undefined;
  }

  async listOwned(): Promise<{ volumes: OwnedResource[]; snapshots: OwnedResource[] }> {
    return { volumes: this.volumes.list(), snapshots: this.snapshots.list() };
  }

  async capacity(): Promise<PoolCapacity> {
    return { totalBytes: this.capacityBytes };
  }

  /** Each pool a class names (`settings.pool`, else "noop") pretends to hold the configured capacity. */
  capacityGroup(cls: VolumeClassConfig): string {
    return String(cls.settings.pool ?? "noop");
  }

  async close(): Promise<void> {
    this.volumes.close();
    this.snapshots.close();
  }
}

const settings = {
  noopCapacityBytes: {
    flag: "noop-capacity-bytes",
    env: "NOOP_CAPACITY_BYTES",
    kind: "integer",
    default: "1099511627776",
    min: 0,
    description: "noop backend: the capacity it pretends its (one) pool has.",
  },
} as const;

export const noopVolumeBackend: BackendFactory<VolumeBackend, typeof settings> = {
  name: "noop",
  settings,
  async open(values, context) {
    const { instanceId } = context.owner;
    return new NoopVolumeBackend(
      new NotedObjects(join(context.stateDir, "volumes"), instanceId),
      new NotedObjects(join(context.stateDir, "snapshots"), instanceId),
      BigInt(values.noopCapacityBytes),
    );
  },
};
