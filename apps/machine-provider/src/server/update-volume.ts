import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { invalidArgument, notFound } from "@iri/runtime-kit";
import type { MachineServerContext } from "./context.js";
import { localDiskBytes } from "./local-disk-budget.js";
import { getLiveMachine } from "./lookup.js";
import { validateVolume } from "./validate-machine.js";

/**
 * Replaces the volume of the same name. The poollet uses it when only the connection's effective storage
 * changed; switching between local disk and connection, or to another driver, handle or image, needs detach +
 * attach. The backend's volume validation runs as for AttachVolume, so a bad volume never reaches the store.
 */
export async function updateVolume(
  ctx: MachineServerContext,
  req: machine.UpdateVolumeRequest,
): Promise<Record<string, never>> {
  const current = getLiveMachine(ctx, req.machineId);
  const volume = req.volume;
  validateVolume(volume, "volume", ctx.backend);
  const before = current.spec.volumes.find((v) => v.name === volume.name);
  const release = ctx.diskBudget.reserve(localDiskBytes([volume]) - localDiskBytes(before ? [before] : []));
  try {
    await replaceVolume(ctx, req, volume);
  } finally {
    release();
  }
  return {};
}

async function replaceVolume(
  ctx: MachineServerContext,
  req: machine.UpdateVolumeRequest,
  volume: machine.Volume,
): Promise<void> {
  await ctx.machines.mutate(req.machineId, (current) => {
    const index = current.spec.volumes.findIndex((v) => v.name === volume.name);
    const existing = current.spec.volumes[index];
    if (!existing) {
      throw notFound(
        `machine ${JSON.stringify(req.machineId)} has no volume named ${JSON.stringify(volume.name)}`,
      );
    }
    if (
      Boolean(existing.localDisk) !== Boolean(volume.localDisk) ||
      existing.connection?.driver !== volume.connection?.driver ||
      existing.connection?.handle !== volume.connection?.handle ||
      existing.device !== volume.device
    ) {
      throw invalidArgument(
        "volume: UpdateVolume cannot change the volume source, driver, handle or device; detach and attach instead",
      );
    }
    if (existing.localDisk?.image?.image !== volume.localDisk?.image?.image) {
      // A new image means a new disk: replacing it in place would delete what the guest wrote.
      throw invalidArgument(
        `volume.local_disk.image: UpdateVolume cannot change a local disk's image (${JSON.stringify(existing.localDisk?.image?.image ?? "")} to ${JSON.stringify(volume.localDisk?.image?.image ?? "")}); detach and attach instead`,
      );
    }
    const volumes = current.spec.volumes.with(index, volume);
    return { spec: create(machine.MachineSpecSchema, { ...current.spec, volumes }) };
  });
}
