export { ConsoleHub } from "./console/console-hub.js";
export { type AcceleratorChoice, chooseAccelerator } from "./host/accelerator.js";
export { type BootImage, type ImageSource, ImageUnusableError } from "./images/image-source.js";
export { OciImageCache } from "./images/oci-image-cache.js";
export { SUPPORTED_VOLUME_DRIVERS, volumeProblem } from "./model/volume-plan.js";
export {
  createQemuBackendFactory,
  type QemuFactoryOptions,
  type QemuSettings,
  qemuMachineBackend,
  qemuSettings,
} from "./qemu-backend-factory.js";
export { type QemuBackendConfig, QemuMachineBackend } from "./qemu-machine-backend.js";
export { QmpClient, type QmpEvent } from "./qmp/qmp-client.js";
export { QmpClosedError, QmpCommandError, QmpTimeoutError } from "./qmp/qmp-errors.js";
