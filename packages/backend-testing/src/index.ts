export type { BackendUnderTest } from "./backend-under-test.js";
export type { BucketBackendUnderTest } from "./bucket-backend-contract.js";
export { bucketIntent, describeBucketBackendContract } from "./bucket-backend-contract.js";
export type { MachineBackendUnderTest } from "./machine-backend-contract.js";
export { describeMachineBackendContract } from "./machine-backend-contract.js";
export { ReconcilerDouble } from "./reconciler-double.js";
export { TestBackendContext } from "./test-backend-context.js";
export type { VolumeBackendUnderTest } from "./volume-backend-contract.js";
export { describeVolumeBackendContract } from "./volume-backend-contract.js";
