import type { MachineBackend } from "@iri/backend-api";
import { noopMachineBackend } from "@iri/noop-backend";
import { qemuMachineBackend } from "@iri/qemu";
import type { AnyBackendFactory } from "@iri/runtime-kit";

/**
 * The machine backends this app can run (`--backend <name>`, default qemu); their settings join the
 * app's in settings.ts (composeSettings). noop runs nothing, for wiring tests and the conformance suite.
 */
export const machineBackends: readonly AnyBackendFactory<MachineBackend>[] = [
  qemuMachineBackend,
  noopMachineBackend,
];
