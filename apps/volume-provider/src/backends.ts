import type { VolumeBackend } from "@iri/backend-api";
import { cephRbdBackend } from "@iri/ceph-rbd";
import { noopVolumeBackend } from "@iri/noop-backend";
import type { AnyBackendFactory } from "@iri/runtime-kit";

/**
 * The volume backends this app can run (`--backend <name>`, default `ceph`); their settings join the
 * app's in settings.ts (composeSettings).
 */
export const volumeBackends: readonly AnyBackendFactory<VolumeBackend>[] = [
  cephRbdBackend,
  noopVolumeBackend,
];
