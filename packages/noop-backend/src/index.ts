export { NoopBucketBackend } from "./noop-bucket-backend.js";
export { NoopMachineBackend } from "./noop-machine-backend.js";
export { NoopVolumeBackend } from "./noop-volume-backend.js";
