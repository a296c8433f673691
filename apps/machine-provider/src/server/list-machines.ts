import type { HandlerContext } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { CachedListEncoder, listResponse } from "@iri/runtime-kit";
import { listedMachine, type MachineRecord } from "../machine-store.js";
import type { MachineServerContext } from "./context.js";

const encoder = new CachedListEncoder<MachineRecord, typeof machine.MachineSchema>(
  machine.MachineSchema,
  listedMachine,
);

export async function listMachines(
  ctx: MachineServerContext,
  req: machine.ListMachinesRequest,
  context: HandlerContext,
): Promise<machine.ListMachinesResponse> {
  return listResponse(encoder, context, machine.ListMachinesResponseSchema, ctx.machines, req.filter);
}
