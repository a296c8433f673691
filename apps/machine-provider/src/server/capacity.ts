import { classQuantities } from "../machine-classes.js";
import type { MachineServerContext } from "./context.js";

/** How many more machines of each class fit on the host right now. */
export async function currentQuantities(ctx: MachineServerContext): Promise<Map<string, bigint>> {
  const host = await ctx.backend.hostCapacity();
  return classQuantities(ctx.classes, host, ctx.capacityPolicy, ctx.classUsage.perClass);
}
