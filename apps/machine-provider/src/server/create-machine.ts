import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { createRecord, invalidArgument, recordRefusedCreate, validateStringMap } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, toMachine } from "../machine-store.js";
import type { MachineServerContext } from "./context.js";
import { validateMachineSpec } from "./validate-machine.js";

export async function createMachine(
  ctx: MachineServerContext,
  req: machine.CreateMachineRequest,
): Promise<MessageInitShape<typeof machine.CreateMachineResponseSchema>> {
  const spec = req.machine?.spec;
  if (!req.machine || !spec) throw invalidArgument("machine.spec must be set");
  const metadata = req.machine.metadata;
  const labels = { ...metadata?.labels };
  validateStringMap(labels, "metadata.labels");
  validateStringMap(metadata?.annotations ?? {}, "metadata.annotations");
  validateMachineSpec(spec, ctx.classes);

  const requestedId = metadata?.id ?? "";
  // A retried create of an existing machine needs no capacity; any other is admitted (and its machine
  // reserved) before the first await, so that concurrent creates cannot overcommit the host.
  let release: (() => void) | undefined;
  if (!ctx.machines.get(requestedId)) {
    try {
      release = ctx.capacity.reserve(spec.class);
    } catch (err) {
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
    return { machine: toMachine(record) };
  } finally {
    release?.();
  }
}
