import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { alreadyExists, resourceExhausted } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { localDiskBytes } from "./local-disk-budget.js";
import { getLiveMachine } from "./lookup.js";
import { MAX_VOLUMES, validateVolume } from "./validate-machine.js";

export async function attachVolume(
  ctx: MachineServerContext,
  req: machine.AttachVolumeRequest,
): Promise<Record<string, never>> {
  getLiveMachine(ctx, req.machineId);
  const volume = req.volume;
  validateVolume(volume, "volume", ctx.backend);
  const release = ctx.diskBudget.reserve(localDiskBytes([volume]));
  try {
    await attach(ctx, req.machineId, volume);
  } finally {
    release();
  }
  return {};
}

async function attach(ctx: MachineServerContext, machineId: string, volume: machine.Volume): Promise<void> {
  const req = { machineId };
  await ctx.machines.mutate(req.machineId, (current) => {
    if (current.spec.volumes.some((v) => v.name === volume.name)) {
      throw alreadyExists(
        `machine ${JSON.stringify(req.machineId)} already has a volume named ${JSON.stringify(volume.name)}`,
      );
    }
    const sameDevice = current.spec.volumes.find((v) => v.device === volume.device);
    if (sameDevice) {
      throw alreadyExists(
        `machine ${JSON.stringify(req.machineId)}: device ${JSON.stringify(volume.device)} is taken by volume ${JSON.stringify(sameDevice.name)}`,
      );
    }
    if (current.spec.volumes.length >= MAX_VOLUMES) {
      throw resourceExhausted(
        `machine ${JSON.stringify(req.machineId)} has ${MAX_VOLUMES} volumes, the most allowed`,
      );
    }
    return {
      spec: create(machine.MachineSpecSchema, {
        ...current.spec,
        volumes: [...current.spec.volumes, volume],
      }),
    };
  });
}
