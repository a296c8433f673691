import { failedPrecondition, notFound, requireNonEmpty } from "@iri/runtime-kit";
import type { MachineRecord } from "../machine-store.js";
import type { MachineServerContext } from "./context.js";

export function getMachine(ctx: MachineServerContext, machineId: string): MachineRecord {
  requireNonEmpty(machineId, "machine_id");
  const record = ctx.machines.get(machineId);
  if (!record) throw notFound(`machine ${JSON.stringify(machineId)} not found`);
  return record;
}

/** A machine that may still change: it exists and is not being deleted. */
export function getLiveMachine(ctx: MachineServerContext, machineId: string): MachineRecord {
  const record = getMachine(ctx, machineId);
  if (record.metadata.deletedAt !== 0n) {
    throw failedPrecondition(`machine ${JSON.stringify(machineId)} is being deleted`);
  }
  return record;
}
