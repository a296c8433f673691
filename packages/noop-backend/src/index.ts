export { noopBucketBackend } from "./noop-bucket-backend.js";
export { noopMachineBackend } from "./noop-machine-backend.js";
export { noopVolumeBackend } from "./noop-volume-backend.js";
