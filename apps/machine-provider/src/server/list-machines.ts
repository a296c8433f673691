import type { MessageInitShape } from "@bufbuild/protobuf";
import type { machine } from "@iri/api";
import { listRecords } from "@iri/runtime-kit";
import { toMachine } from "../machine-store.js";
import type { MachineServerContext } from "./context.js";

export async function listMachines(
  ctx: MachineServerContext,
  req: machine.ListMachinesRequest,
): Promise<MessageInitShape<typeof machine.ListMachinesResponseSchema>> {
  return { machines: listRecords(ctx.machines, req.filter).map(toMachine) };
}
