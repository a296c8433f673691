import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { MachineServerContext } from "./context.js";
import { getLiveMachine } from "./lookup.js";
import { validatePower } from "./validate-machine.js";

export async function updateMachinePower(
  ctx: MachineServerContext,
  req: machine.UpdateMachinePowerRequest,
): Promise<Record<string, never>> {
  getLiveMachine(ctx, req.machineId);
  validatePower(req.power, "power");
  await ctx.machines.mutate(req.machineId, (current) =>
    current.spec.power === req.power
      ? undefined
      : { spec: create(machine.MachineSpecSchema, { ...current.spec, power: req.power }) },
  );
  return {};
}
