import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type {
  SnapshotIntent,
  SnapshotObservation,
  VolumeBackend,
  VolumeIntent,
  VolumeObservation,
} from "@iri/backend-api";

/**
 * Stores nothing. Every volume is reported available with a `noop` access that no machine backend can
 * open; snapshots are ready at once. For wiring tests and the conformance suite only.
 */
export class NoopVolumeBackend implements VolumeBackend {
  readonly name = "noop";
  private readonly volumes = new Map<string, bigint>();
  private readonly snapshots = new Set<string>();

  constructor(private readonly capacityBytes: bigint = 1n << 40n) {}

  async apply(intent: VolumeIntent): Promise<VolumeObservation> {
    const storageBytes = intent.spec.resources?.storageBytes ?? 0n;
    this.volumes.set(intent.id, storageBytes);
    return {
      state: volume.VolumeState.VOLUME_AVAILABLE,
      access: create(volume.VolumeAccessSchema, { driver: "noop", handle: intent.id }),
      storageBytes,
    };
  }

  async remove(id: string): Promise<void> {
    this.volumes.delete(id);
  }

  async applySnapshot(intent: SnapshotIntent): Promise<SnapshotObservation> {
    this.snapshots.add(intent.id);
    return {
      state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY,
      sizeBytes: this.volumes.get(intent.volumeId) ?? 0n,
    };
  }

  async removeSnapshot(id: string): Promise<void> {
    this.snapshots.delete(id);
  }

  async listOwned(): Promise<{ volumes: string[]; snapshots: string[] }> {
    return { volumes: [...this.volumes.keys()], snapshots: [...this.snapshots] };
  }

  async availableBytes(): Promise<bigint> {
    let used = 0n;
    for (const size of this.volumes.values()) used += size;
    return used >= this.capacityBytes ? 0n : this.capacityBytes - used;
  }

  async close(): Promise<void> {}
}
