import type { machine } from "@iri/api";
import type { MachineServerContext } from "./context.js";
import { sizeOfAnnotations } from "./listed-bytes.js";
import { getMachine } from "./lookup.js";

/** A full replace, as the poollet expects (it compares the whole map). */
export async function updateMachineAnnotations(
  ctx: MachineServerContext,
  req: machine.UpdateMachineAnnotationsRequest,
): Promise<Record<string, never>> {
  const current = getMachine(ctx, req.machineId);
  // The annotations were checked where the request entered (runtime-kit's request limits).
  const growth = sizeOfAnnotations(req.annotations) - sizeOfAnnotations(current.metadata.annotations);
  const release = ctx.listed.admit(growth, "these annotations");
  try {
    const updated = await ctx.machines.mutate(req.machineId, () => ({ annotations: { ...req.annotations } }));
    ctx.listed.update(updated);
  } finally {
    release();
  }
  return {};
}
