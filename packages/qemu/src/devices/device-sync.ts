import type { machine } from "@iri/api";
import { readInventory } from "../model/device-inventory.js";
import { releaseUnwanted } from "./device-release.js";
import { deviceStatus } from "./device-status.js";
import { attachNics } from "./nic-devices.js";
import { presentDevices } from "./qemu-devices.js";
import type { DeviceSyncInput, SyncPass } from "./sync-pass.js";
import { attachVolumes } from "./volume-devices.js";

export interface DeviceSyncResult extends Pick<SyncPass, "waiting" | "blocked" | "stalled"> {
  readonly volumes: machine.VolumeStatus[];
  readonly networkInterfaces: machine.NetworkInterfaceStatus[];
}

/**
 * Makes a running (or not yet resumed) QEMU hold exactly the spec's disks and NICs: removes devices no
 * longer wanted (waiting for the guest to release them: DEVICE_DELETED), adds the missing ones on free
 * PCIe root ports, grows disks whose size went up. Level-based and safe to repeat after a crash at any step:
 * what QEMU holds is read back each time, the inventory file only names what to clean up.
 */
export async function syncDevices(input: DeviceSyncInput): Promise<DeviceSyncResult> {
  const pass: SyncPass = {
    inventory: await readInventory(input.files.inventoryFile),
    present: await presentDevices(input.qmp),
    attached: new Set(),
    waiting: [],
    blocked: [],
    stalled: [],
  };
  await releaseUnwanted(input, pass);
  await attachVolumes(input, pass);
  await attachNics(input, pass);
  return {
    ...deviceStatus(input, pass),
    waiting: pass.waiting,
    blocked: pass.blocked,
    stalled: pass.stalled,
  };
}
