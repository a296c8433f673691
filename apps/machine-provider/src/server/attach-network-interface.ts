import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { alreadyExists, resourceExhausted } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getLiveMachine } from "./lookup.js";
import { MAX_NETWORK_INTERFACES, validateNetworkInterface } from "./validate-machine.js";

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
    if (current.spec.networkInterfaces.length >= MAX_NETWORK_INTERFACES) {
      throw resourceExhausted(
        `machine ${JSON.stringify(req.machineId)} has ${MAX_NETWORK_INTERFACES} network interfaces, the most allowed`,
      );
    }
    const networkInterfaces = [...current.spec.networkInterfaces, nic];
    return { spec: create(machine.MachineSpecSchema, { ...current.spec, networkInterfaces }) };
  });
  return {};
}
