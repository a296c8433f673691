import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { notFound, requireNonEmpty } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getMachine } from "./lookup.js";

/** Removes the volume from the spec at once, so that an attach of the same name may follow immediately. */
export async function detachVolume(
  ctx: MachineServerContext,
  req: machine.DetachVolumeRequest,
): Promise<Record<string, never>> {
  getMachine(ctx, req.machineId);
  requireNonEmpty(req.name, "name");
  await ctx.machines.mutate(req.machineId, (current) => {
    const volumes = current.spec.volumes.filter((v) => v.name !== req.name);
    if (volumes.length === current.spec.volumes.length) {
      throw notFound(
        `machine ${JSON.stringify(req.machineId)} has no volume named ${JSON.stringify(req.name)}`,
      );
    }
    return { spec: create(machine.MachineSpecSchema, { ...current.spec, volumes }) };
  });
  return {};
}
