import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import { toMachineClassStatus } from "../machine-classes.js";
import type { MachineServerContext } from "./context.js";

/** Quantity per class is a total: machines of the class on this host plus how many more fit now. */
export async function status(
  ctx: MachineServerContext,
  _req: machine.StatusRequest,
): Promise<MessageInitShape<typeof machine.StatusResponseSchema>> {
  await ctx.capacity.refresh();
  const totals = ctx.capacity.totals();
  return {
    machineClassStatus: ctx.classes.map((cls) => toMachineClassStatus(cls, totals.get(cls.name) ?? 0n)),
  };
}
