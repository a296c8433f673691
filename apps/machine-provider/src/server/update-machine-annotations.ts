import type { machine } from "@iri/api";
import { validateStringMap } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getMachine } from "./lookup.js";

/** A full replace, as the poollet expects (it compares the whole map). */
export async function updateMachineAnnotations(
  ctx: MachineServerContext,
  req: machine.UpdateMachineAnnotationsRequest,
): Promise<Record<string, never>> {
  getMachine(ctx, req.machineId);
  validateStringMap(req.annotations, "annotations");
  await ctx.machines.mutate(req.machineId, () => ({ annotations: { ...req.annotations } }));
  return {};
}
