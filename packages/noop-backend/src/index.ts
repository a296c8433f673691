export { NoopBucketBackend, noopBucketBackend } from "./noop-bucket-backend.js";
export { NoopMachineBackend, noopMachineBackend } from "./noop-machine-backend.js";
export { NoopVolumeBackend, noopVolumeBackend } from "./noop-volume-backend.js";
export { NotedObjects } from "./noted-objects.js";
