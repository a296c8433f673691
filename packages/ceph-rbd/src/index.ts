export type { CephRbdBackend } from "./ceph-rbd-backend.js";
export { cephRbdBackend } from "./factory.js";
export { type CephRbdSettings, cephRbdSettings } from "./settings.js";
