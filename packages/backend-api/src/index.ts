export type { BucketBackend, BucketClassConfig, BucketIntent, BucketObservation } from "./bucket-backend.js";
export type { ClassConfig } from "./class-config.js";
export { DeletionBlockedError, PermanentBackendError } from "./errors.js";
export type { HostCapacity, MachineBackend, MachineIntent, MachineObservation } from "./machine-backend.js";
export type {
  SnapshotIntent,
  SnapshotObservation,
  VolumeBackend,
  VolumeClassConfig,
  VolumeIntent,
  VolumeObservation,
} from "./volume-backend.js";
