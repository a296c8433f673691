import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { createRecord, invalidArgument, resourceExhausted, validateStringMap } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, toMachine } from "../machine-store.js";
import { currentQuantities } from "./capacity.js";
import type { MachineServerContext } from "./context.js";
import { validateMachineSpec } from "./validate-machine.js";

export async function createMachine(
  ctx: MachineServerContext,
  req: machine.CreateMachineRequest,
): Promise<MessageInitShape<typeof machine.CreateMachineResponseSchema>> {
  const spec = req.machine?.spec;
  if (!req.machine || !spec) throw invalidArgument("machine.spec must be set");
  const metadata = req.machine.metadata;
  validateStringMap(metadata?.labels ?? {}, "metadata.labels");
  validateStringMap(metadata?.annotations ?? {}, "metadata.annotations");
  validateMachineSpec(spec, ctx.classes);

  const requestedId = metadata?.id ?? "";
  if (!ctx.machines.get(requestedId)) await requireCapacity(ctx, spec.class);

  const record = await createRecord(ctx.machines, {
    requestedId,
    labels: { ...metadata?.labels },
    annotations: { ...metadata?.annotations },
    finalizers: [BACKEND_FINALIZER],
    spec,
    status: create(machine.MachineStatusSchema, { state: machine.MachineState.MACHINE_PENDING }),
    isSameRequest: (existing) => equals(machine.MachineSpecSchema, existing.spec, spec),
  });
  return { machine: toMachine(record) };
}

async function requireCapacity(ctx: MachineServerContext, className: string): Promise<void> {
  const quantities = await currentQuantities(ctx);
  if ((quantities.get(className) ?? 0n) < 1n) {
    throw resourceExhausted(`no capacity left for another machine of class ${JSON.stringify(className)}`);
  }
}
