import type { volume } from "@iri/api";

/** A volume class as configured for the provider: IRI capabilities plus backend-specific settings. */
export interface VolumeClassConfig {
  readonly name: string;
  readonly tps: bigint;
  readonly iops: bigint;
  /** Backend-specific settings from the class file (e.g. a Ceph pool). */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface VolumeIntent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly class: VolumeClassConfig;
  /** The stored spec exactly as the caller sent it (resources possibly expanded since). */
  readonly spec: volume.VolumeSpec;
}

export interface VolumeObservation {
  readonly state: volume.VolumeState;
  /** Present once the volume is AVAILABLE. */
  readonly access?: volume.VolumeAccess;
  /** Bytes the consumer sees. */
  readonly storageBytes: bigint;
  readonly requeueAfterMs?: number;
}

export interface SnapshotIntent {
  readonly id: string;
  readonly volumeId: string;
}

export interface SnapshotObservation {
  readonly state: volume.VolumeSnapshotState;
  readonly sizeBytes: bigint;
  readonly requeueAfterMs?: number;
}

export interface VolumeBackend {
  readonly name: string;
  apply(intent: VolumeIntent, signal: AbortSignal): Promise<VolumeObservation>;
  remove(id: string, signal: AbortSignal): Promise<void>;
  applySnapshot(intent: SnapshotIntent, signal: AbortSignal): Promise<SnapshotObservation>;
  removeSnapshot(id: string, signal: AbortSignal): Promise<void>;
  listOwned(): Promise<{ volumes: string[]; snapshots: string[] }>;
  /** Bytes still available to new volumes of the class. */
  availableBytes(cls: VolumeClassConfig): Promise<bigint>;
  close(): Promise<void>;
}
