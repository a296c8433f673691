import type { ConnectRouter } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { attachNetworkInterface } from "./attach-network-interface.js";
import { attachVolume } from "./attach-volume.js";
import type { MachineServerContext } from "./context.js";
import { createMachine } from "./create-machine.js";
import { deleteMachine } from "./delete-machine.js";
import { detachNetworkInterface } from "./detach-network-interface.js";
import { detachVolume } from "./detach-volume.js";
import { exec } from "./exec.js";
import { listEvents } from "./list-events.js";
import { listMachines } from "./list-machines.js";
import { status } from "./status.js";
import { updateMachineAnnotations } from "./update-machine-annotations.js";
import { updateMachinePower } from "./update-machine-power.js";
import { updateVolume } from "./update-volume.js";
import { version } from "./version.js";

/** Registers machine.v1alpha1.MachineRuntime: one handler per RPC, each in its own file. */
export function registerMachineRuntime(router: ConnectRouter, ctx: MachineServerContext): void {
  router.service(machine.MachineRuntime, {
    version: (req) => version(ctx, req),
    listEvents: (req) => listEvents(ctx, req),
    listMachines: (req, context) => listMachines(ctx, req, context),
    createMachine: (req, context) => createMachine(ctx, req, context),
    deleteMachine: (req) => deleteMachine(ctx, req),
    updateMachineAnnotations: (req) => updateMachineAnnotations(ctx, req),
    updateMachinePower: (req) => updateMachinePower(ctx, req),
    attachVolume: (req) => attachVolume(ctx, req),
    detachVolume: (req) => detachVolume(ctx, req),
    updateVolume: (req) => updateVolume(ctx, req),
    attachNetworkInterface: (req) => attachNetworkInterface(ctx, req),
    detachNetworkInterface: (req) => detachNetworkInterface(ctx, req),
    status: (req) => status(ctx, req),
    exec: (req) => exec(ctx, req),
  });
}
