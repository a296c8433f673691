import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { answerPrepared, createRecord, invalidArgument, recordRefusedCreate } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, toMachine } from "../machine-store.js";
import type { MachineServerContext } from "./context.js";
import { preparedCreateResponse } from "./create-response.js";
import { sizeOfNewMachine } from "./listed-bytes.js";
import { localDiskBytes } from "./local-disk-budget.js";
import { validateMachineSpec } from "./validate-machine.js";

export async function createMachine(
  ctx: MachineServerContext,
  req: machine.CreateMachineRequest,
  context?: HandlerContext,
): Promise<MessageInitShape<typeof machine.CreateMachineResponseSchema>> {
  const spec = req.machine?.spec;
  if (!req.machine || !spec) throw invalidArgument("machine.spec must be set");
  const metadata = req.machine.metadata;
  const labels = { ...metadata?.labels };
  // The metadata's id, labels and annotations were checked where the request entered (runtime-kit's request limits).
  validateMachineSpec(spec, ctx.classes, ctx.backend);

  const requestedId = metadata?.id ?? "";
  // A retried create of an existing machine needs no capacity; any other is admitted (and its machine
  // reserved) before the first await, so that concurrent creates cannot overcommit the host.
  const releases: (() => void)[] = [];
  if (!ctx.machines.get(requestedId)) {
    const annotations = { ...metadata?.annotations };
    try {
      releases.push(ctx.listed.admit(sizeOfNewMachine(spec, labels, annotations), "this machine"));
    } catch (err) {
      for (const release of releases) release();
      recordRefusedCreate(
        ctx.events,
        { id: requestedId, labels },
        "ListBudgetExceeded",
        (err as Error).message,
      );
      throw err;
    }
    try {
      releases.push(await ctx.capacity.admit(spec.class, 1n));
      releases.push(ctx.diskBudget.reserve(localDiskBytes(spec.volumes)));
    } catch (err) {
      for (const release of releases) release();
      recordRefusedCreate(
        ctx.events,
        { id: requestedId, labels },
        "InsufficientCapacity",
        (err as Error).message,
      );
      throw err;
    }
  }
  try {
    const record = await createRecord(ctx.machines, {
      requestedId,
      labels,
      annotations: { ...metadata?.annotations },
      finalizers: [BACKEND_FINALIZER],
      spec,
      status: create(machine.MachineStatusSchema, { state: machine.MachineState.MACHINE_PENDING }),
      isSameRequest: (existing) => equals(machine.MachineSpecSchema, existing.spec, spec),
    });
    ctx.listed.update(record);
    if (answerPrepared(context, preparedCreateResponse(record))) return {};
    return { machine: toMachine(record) };
  } finally {
    for (const release of releases) release();
  }
}
