import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import { toMachineClassStatus } from "../machine-classes.js";
import type { MachineServerContext } from "./context.js";

/**
 * Quantity per class is a total: machines of the class on this host plus how many more fit now. Answered from
 * memory (the last host reading, the stored machines), never waiting on the host.
 */
export function status(
  ctx: MachineServerContext,
  _req: machine.StatusRequest,
): MessageInitShape<typeof machine.StatusResponseSchema> {
  const totals = ctx.capacity.totals();
  return {
    machineClassStatus: ctx.classes.map((cls) => toMachineClassStatus(cls, totals.get(cls.name) ?? 0n)),
  };
}
