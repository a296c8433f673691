// One apply of a machine, level-based: its files and tags, then power off, or images → start (with the
// crash-loop back-off) → devices → boot. Each step reads what exists first, so the call is safe to repeat
// after a crash at any point.
import { machine } from "@iri/api";
import {
  type ApplyOutcome,
  type MachineIntent,
  type MachineObservation,
  type OperationContext,
  PermanentBackendError,
} from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { syncDevices } from "./devices/device-sync.js";
import { findMachineProcess } from "./host/qemu-ownership.js";
import { pinnedImages, shareImageFiles } from "./images/image-pinning.js";
import {
  MachineFiles,
  readCreationTag,
  readOptionalFile,
  writeCreationTag,
  writePrivateFile,
} from "./machine-files.js";
import { launchMachine } from "./machine-launch.js";
import { configuredObservation, runningOutcome } from "./machine-observation.js";
import { powerOff, restartAfterGuestExit } from "./machine-power.js";
import { InvalidVolumeError, planVolume, type VolumePlan } from "./model/volume-plan.js";
import { planNetworkInterface } from "./nics/nic-plugin.js";

const { MachineState, Power } = machine;

export async function applyMachine(
  deps: BackendDeps,
  intent: MachineIntent,
  ctx: OperationContext<MachineObservation>,
): Promise<ApplyOutcome<MachineObservation>> {
  const { config, context } = deps;
  const files = new MachineFiles(context.stateDir, intent.id);
  await files.ensure();
  if ((await readOptionalFile(files.ownerFile)) === undefined) {
    await writePrivateFile(files.ownerFile, context.owner.instanceId);
  }
  if ((await readCreationTag(files)) === undefined) await writeCreationTag(files, ctx.tag);
  const volumes = intent.spec.volumes.map((volume) => planOrReject(intent.id, volume));
  const nics = intent.spec.networkInterfaces.map((nic) => planNetworkInterface(intent.id, nic));
  const configured = (state: machine.MachineState, pending = false) =>
    configuredObservation(config.nicPlugin, state, volumes, nics, pending);
  let pid = await findMachineProcess(intent.id, deps.proof);

  if (intent.spec.power === Power.OFF) {
    const waiting = await powerOff(deps, intent.id, files, pid, ctx.event);
    if (waiting) return { observation: configured(MachineState.MACHINE_RUNNING), notDone: waiting };
    return { observation: configured(MachineState.MACHINE_SUSPENDED) };
  }

  const images = await pinnedImages(deps, intent, files, volumes);
  if ("notDone" in images) {
    return { observation: configured(MachineState.MACHINE_PENDING, true), notDone: images.notDone };
  }
  await shareImageFiles(deps, images);
  if (pid === undefined) {
    const restart = await restartAfterGuestExit(files, ctx.event);
    if ("notDone" in restart) {
      return { observation: configured(MachineState.MACHINE_PENDING, true), notDone: restart.notDone };
    }
    pid = await launchMachine(deps, intent, files, nics, images.boot, restart.quickExits);
    ctx.event(
      "Normal",
      "MachineStarted",
      `QEMU started (pid ${pid}, accelerator ${config.accelerator.accelerator}: ${config.accelerator.reason})`,
    );
  }
  deps.consoles.watchLog(files);
  const qmp = await deps.connections.get(intent.id, files.qmpSocket);
  const status = await qmp.execute<{ status: string }>("query-status");
  const beforeBoot = status.status === "prelaunch";
  const devices = await syncDevices({
    qmp,
    files,
    volumes,
    nics,
    bases: images.bases,
    rootPorts: config.rootPorts,
    emptyDiskBytes: config.emptyDiskBytes,
    nicPlugin: config.nicPlugin,
    beforeBoot,
    bootVolume: images.boot?.kernel ? undefined : (images.bootVolume ?? volumes[0]?.name),
    event: ctx.event,
    giveToQemu: (path) => config.confinement.giveToQemu(path),
    unplugTimeoutMs: config.unplugTimeoutMs,
  });
  if (beforeBoot) {
    // A reset makes the firmware read the boot order of the devices just added.
    await qmp.execute("system_reset");
    await qmp.execute("cont");
  }
  return runningOutcome(images.ref, devices);
}

function planOrReject(machineId: string, volume: machine.Volume): VolumePlan {
  try {
    return planVolume(machineId, volume);
  } catch (error) {
    if (error instanceof InvalidVolumeError) throw new PermanentBackendError("InvalidVolume", error.message);
    throw error;
  }
}
