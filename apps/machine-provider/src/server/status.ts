import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import { toMachineClassStatus } from "../machine-classes.js";
import { currentQuantities } from "./capacity.js";
import type { MachineServerContext } from "./context.js";

export async function status(
  ctx: MachineServerContext,
  _req: machine.StatusRequest,
): Promise<MessageInitShape<typeof machine.StatusResponseSchema>> {
  const quantities = await currentQuantities(ctx);
  return {
    machineClassStatus: ctx.classes.map((cls) => toMachineClassStatus(cls, quantities.get(cls.name) ?? 0n)),
  };
}
