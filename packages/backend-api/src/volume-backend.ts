import type { volume } from "@iri/api";
import type { ClassConfig } from "./class-config.js";
import type {
  ApplyOutcome,
  ObjectRef,
  OperationContext,
  OwnedResource,
  Placement,
  RemoveOutcome,
} from "./operation.js";

/** A volume class; its settings are e.g. the Ceph pool. */
export type VolumeClassConfig = ClassConfig;

/** A snapshot a new volume is restored from, resolved by the provider (the poollet may send its name). */
export interface SnapshotSource {
  readonly id: string;
  /** Where the snapshot lives, as its backend recorded it. */
  readonly placement: Placement | undefined;
  readonly sizeBytes: bigint;
}

export interface VolumeIntent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly class: VolumeClassConfig;
  /** The stored spec exactly as the caller sent it (resources possibly expanded since). */
  readonly spec: volume.VolumeSpec;
  /** Set when spec.volume_data_source names a snapshot. */
  readonly snapshot?: SnapshotSource;
}

export interface VolumeObservation {
  readonly state: volume.VolumeState;
  /** Present once the volume is AVAILABLE. */
  readonly access?: volume.VolumeAccess;
  /** Bytes the consumer sees (rounded up as the backend allocates). */
  readonly storageBytes: bigint;
}

export interface SnapshotIntent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly volumeId: string;
  /** Where the source volume lives. */
  readonly volumePlacement: Placement | undefined;
}

export interface SnapshotObservation {
  readonly state: volume.VolumeSnapshotState;
  readonly sizeBytes: bigint;
}

export interface PoolCapacity {
  /** Bytes the class's storage can hold in all: what is stored now plus what is still free. */
  readonly totalBytes: bigint;
}

export interface VolumeBackend {
  readonly name: string;
  apply(
    intent: VolumeIntent,
    ctx: OperationContext<VolumeObservation>,
  ): Promise<ApplyOutcome<VolumeObservation>>;
  remove(ref: ObjectRef): Promise<RemoveOutcome>;
  applySnapshot(
    intent: SnapshotIntent,
    ctx: OperationContext<SnapshotObservation>,
  ): Promise<ApplyOutcome<SnapshotObservation>>;
  removeSnapshot(ref: ObjectRef): Promise<RemoveOutcome>;
  listOwned(): Promise<{ volumes: OwnedResource[]; snapshots: OwnedResource[] }>;
  /**
   * The raw capacity behind a class (e.g. its Ceph pool from `ceph df`). The provider applies the
   * overprovisioning ratio and subtracts what its volumes already take. Throws BackendUnavailableError when
   * the cluster cannot be asked.
   */
  capacity(cls: VolumeClassConfig): Promise<PoolCapacity>;
  /**
   * The storage a class draws from: classes with the same group share one capacity (e.g. the Ceph pool a
   * class names, or the default pool when it names none), and `capacity` is read once per group. Throws
   * PermanentBackendError for a class the backend cannot serve.
   */
  capacityGroup(cls: VolumeClassConfig): string;
  close(): Promise<void>;
}
