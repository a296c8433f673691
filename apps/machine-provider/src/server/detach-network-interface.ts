import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { notFound, requireNonEmpty } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getMachine } from "./lookup.js";

/** Removes the NIC from the spec at once, so that an attach of the same name may follow immediately. */
export async function detachNetworkInterface(
  ctx: MachineServerContext,
  req: machine.DetachNetworkInterfaceRequest,
): Promise<Record<string, never>> {
  getMachine(ctx, req.machineId);
  requireNonEmpty(req.name, "name");
  await ctx.machines.mutate(req.machineId, (current) => {
    const networkInterfaces = current.spec.networkInterfaces.filter((n) => n.name !== req.name);
    if (networkInterfaces.length === current.spec.networkInterfaces.length) {
      throw notFound(
        `machine ${JSON.stringify(req.machineId)} has no network interface named ${JSON.stringify(req.name)}`,
      );
    }
    return { spec: create(machine.MachineSpecSchema, { ...current.spec, networkInterfaces }) };
  });
  return {};
}
