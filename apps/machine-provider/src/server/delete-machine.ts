import type { machine } from "@iri/api";
import type { MachineServerContext } from "./context.js";
import { getMachine } from "./lookup.js";

/** Marks the machine deleted; the reconciler tears it down. Repeated calls during teardown are OK. */
export async function deleteMachine(
  ctx: MachineServerContext,
  req: machine.DeleteMachineRequest,
): Promise<Record<string, never>> {
  getMachine(ctx, req.machineId);
  await ctx.machines.markDeleted(req.machineId);
  return {};
}
