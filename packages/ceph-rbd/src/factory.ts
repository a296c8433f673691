import type { BackendFactory } from "@iri/backend-api";
import type { CephRbdBackend } from "./ceph-rbd-backend.js";
import { type CephRbdSettings, cephRbdSettings } from "./settings.js";

/**
 * `--backend ceph`: volumes as RBD images. The backend's code (the Ceph tools' wrappers, the OCI client and its
 * HTTP stack) is imported when it opens, after the provider serves: a restart does not wait to load it.
 */
export const cephRbdBackend: BackendFactory<CephRbdBackend, CephRbdSettings> = {
  name: "ceph",
  settings: cephRbdSettings,
  open: async (settings, context) =>
    (await import("./open-backend.js")).openCephRbdBackend(settings, context),
};
