export type { BucketBackend, BucketClassConfig, BucketIntent, BucketObservation } from "./bucket-backend.js";
export type { ClassConfig, MachineClassConfig } from "./class-config.js";
export type {
  BackendContext,
  BackendFactory,
  BackendLogger,
  BackgroundJobs,
  EventType,
  JobHandle,
  JobState,
  OwnerIdentity,
} from "./context.js";
export { formatCreationTag, parseCreationTag } from "./creation-tag.js";
export { BackendUnavailableError, PermanentBackendError } from "./errors.js";
export type { HostCapacity, MachineBackend, MachineIntent, MachineObservation } from "./machine-backend.js";
export { isValidObjectId } from "./object-id.js";
export type {
  ApplyOutcome,
  CreationTag,
  NotDone,
  ObjectRef,
  OperationContext,
  OwnedResource,
  Placement,
  RemoveOutcome,
} from "./operation.js";
export type { SettingDefinition, SettingDefinitions, SettingKind, SettingValues } from "./settings.js";
export type {
  PoolCapacity,
  SnapshotIntent,
  SnapshotObservation,
  SnapshotSource,
  VolumeBackend,
  VolumeClassConfig,
  VolumeIntent,
  VolumeObservation,
} from "./volume-backend.js";
