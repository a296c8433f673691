import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { CachedListEncoder, isUnfiltered, listRecords } from "@iri/runtime-kit";
import { type MachineRecord, toMachine } from "../machine-store.js";
import type { MachineServerContext } from "./context.js";

const encoder = new CachedListEncoder<MachineRecord, typeof machine.MachineSchema>(
  machine.MachineSchema,
  toMachine,
);

export async function listMachines(
  ctx: MachineServerContext,
  req: machine.ListMachinesRequest,
  context: HandlerContext,
): Promise<machine.ListMachinesResponse> {
  const response = create(machine.ListMachinesResponseSchema);
  const field = machine.ListMachinesResponseSchema.field.machines.number;
  return encoder.respond(
    context,
    response,
    field,
    listRecords(ctx.machines, req.filter),
    isUnfiltered(req.filter),
  );
}
