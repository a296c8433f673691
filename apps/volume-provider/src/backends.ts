import type { VolumeBackend } from "@iri/backend-api";
import { noopVolumeBackend } from "@iri/noop-backend";
import type { AnyBackendFactory } from "@iri/runtime-kit";

/** The volume backends this app can run (`--backend <name>`); their settings are in settings.ts. */
export const volumeBackends: readonly AnyBackendFactory<VolumeBackend>[] = [noopVolumeBackend];
