import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { alreadyExists } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getLiveMachine } from "./lookup.js";
import { validateNetworkInterface } from "./validate-machine.js";

export async function attachNetworkInterface(
  ctx: MachineServerContext,
  req: machine.AttachNetworkInterfaceRequest,
): Promise<Record<string, never>> {
  getLiveMachine(ctx, req.machineId);
  const nic = req.networkInterface;
  validateNetworkInterface(nic, "network_interface");
  await ctx.machines.mutate(req.machineId, (current) => {
    if (current.spec.networkInterfaces.some((n) => n.name === nic.name)) {
      throw alreadyExists(
        `machine ${JSON.stringify(req.machineId)} already has a network interface named ${JSON.stringify(nic.name)}`,
      );
    }
    const networkInterfaces = [...current.spec.networkInterfaces, nic];
    return { spec: create(machine.MachineSpecSchema, { ...current.spec, networkInterfaces }) };
  });
  return {};
}
