import type { MachineBackend } from "@iri/backend-api";
import { noopMachineBackend } from "@iri/noop-backend";
import type { AnyBackendFactory } from "@iri/runtime-kit";

/** The machine backends this app can run (`--backend <name>`); their settings are in settings.ts. */
export const machineBackends: readonly AnyBackendFactory<MachineBackend>[] = [noopMachineBackend];
