export type { QemuBackendConfig } from "./backend-deps.js";
export { volumeProblem } from "./model/volume-plan.js";
export {
  createQemuBackendFactory,
  type QemuFactoryOptions,
  type QemuSettings,
  qemuMachineBackend,
  qemuSettings,
} from "./qemu-backend-factory.js";
