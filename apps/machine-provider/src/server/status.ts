import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import { classQuantities, toMachineClassStatus } from "../machine-classes.js";
import type { MachineServerContext } from "./context.js";

export async function status(
  ctx: MachineServerContext,
  _req: machine.StatusRequest,
): Promise<MessageInitShape<typeof machine.StatusResponseSchema>> {
  const host = await ctx.backend.hostCapacity();
  const quantities = classQuantities(
    ctx.classes,
    host,
    ctx.capacityPolicy,
    ctx.machines.list().map((m) => m.spec.class),
  );
  return {
    machineClassStatus: ctx.classes.map((cls) => toMachineClassStatus(cls, quantities.get(cls.name) ?? 0n)),
  };
}
