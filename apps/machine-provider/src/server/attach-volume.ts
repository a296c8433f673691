import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { alreadyExists } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { getLiveMachine } from "./lookup.js";
import { validateVolume } from "./validate-machine.js";

export async function attachVolume(
  ctx: MachineServerContext,
  req: machine.AttachVolumeRequest,
): Promise<Record<string, never>> {
  getLiveMachine(ctx, req.machineId);
  const volume = req.volume;
  validateVolume(volume, "volume");
  await ctx.machines.mutate(req.machineId, (current) => {
    if (current.spec.volumes.some((v) => v.name === volume.name)) {
      throw alreadyExists(
        `machine ${JSON.stringify(req.machineId)} already has a volume named ${JSON.stringify(volume.name)}`,
      );
    }
    return {
      spec: create(machine.MachineSpecSchema, {
        ...current.spec,
        volumes: [...current.spec.volumes, volume],
      }),
    };
  });
  return {};
}
