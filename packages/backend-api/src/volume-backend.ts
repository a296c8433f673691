import type { volume } from "@iri/api";
import type { ClassConfig } from "./class-config.js";

/** A volume class; its settings are e.g. the Ceph pool. */
export type VolumeClassConfig = ClassConfig;

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
