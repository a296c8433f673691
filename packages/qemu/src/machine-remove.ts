// Removing a machine: shut the guest down (with the same deadline as a power-off), kill the verified QEMU,
// free its taps and cgroup, and remove its directory.
import type { ObjectRef, RemoveOutcome } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { findMachineProcess, scanOurQemus } from "./host/qemu-ownership.js";
import { MachineFiles } from "./machine-files.js";
import { shutdownTook, stopGracefully } from "./machine-power.js";
import { readInventory } from "./model/device-inventory.js";
import { readPowerRecord } from "./model/power-record.js";

/** The form of the tap names NIC plugins give (`iri` and at most 12 alphanumerics: 15, the kernel's limit). */
const TAP_NAME = /^iri[a-z0-9]{1,12}$/;

export async function removeMachine(deps: BackendDeps, ref: ObjectRef): Promise<RemoveOutcome> {
  const { config, context } = deps;
  const files = new MachineFiles(context.stateDir, ref.id);
  const pid = (await findMachineProcess(ref.id, deps.proof)) ?? (await findStrayProcess(deps, ref.id, files));
  if (pid !== undefined) {
    // A QEMU whose directory was lost: the shutdown deadline needs a place again.
    await files.ensure();
    const waiting = await stopGracefully(deps, ref.id, files, pid, ref.event);
    if (waiting) return waiting;
  }
  const power = await readPowerRecord(files.powerFile);
  if (power.started && power.powerdownAt !== undefined) {
    ref.event("Normal", "MachineShutDown", `the guest powered off${shutdownTook(power)}`);
  }
  deps.consoles.forget(ref.id, files);
  await deps.connections.drop(ref.id);
  const inventory = await readInventory(files.inventoryFile).catch(() => ({}));
  for (const entry of Object.values(inventory)) {
    if (entry.kind !== "nic" || !entry.tap) continue;
    // Read from a file: only a name of the form the backend gives taps may reach `ip link del`.
    if (!TAP_NAME.test(entry.tap)) {
      context.logger.warn(
        { id: ref.id, tap: entry.tap },
        "device inventory names no tap of ours; left alone",
      );
      continue;
    }
    await config.nicPlugin.release(entry.tap);
  }
  await config.confinement.cgroups?.release(files.cgroupName);
  await files.remove();
  return undefined;
}

/** The QEMU of a machine the store knows whose directory was lost (proven by executable, uid and argv). */
async function findStrayProcess(
  deps: BackendDeps,
  id: string,
  files: MachineFiles,
): Promise<number | undefined> {
  const found = (await scanOurQemus(deps.proof)).find(
    (p) =>
      p.unproven === undefined &&
      p.machineId === id &&
      p.pidFile === files.pidFile &&
      p.owner === deps.context.owner.instanceId,
  );
  return found?.pid;
}
