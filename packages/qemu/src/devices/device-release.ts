import { rm } from "node:fs/promises";
import { type Inventory, writeInventory } from "../model/device-inventory.js";
import {
  ignoring,
  isDeviceNotFound,
  isNodeInUse,
  isNodeNotFound,
  isObjectNotFound,
} from "../qmp/qmp-errors.js";
import type { DeviceSyncInput, SyncPass } from "./sync-pass.js";

/**
 * Removes the devices the spec no longer wants: asks the guest to release each one (device_del), warns once
 * when it has not within the unplug deadline, and frees what a device used once QEMU no longer holds it.
 */
export async function releaseUnwanted(input: DeviceSyncInput, pass: SyncPass): Promise<void> {
  const { qmp, files } = input;
  const { inventory, present } = pass;
  const wanted = new Set([...input.volumes.map((v) => v.deviceId), ...input.nics.map((n) => n.deviceId)]);
  for (const [deviceId, entry] of Object.entries(inventory)) {
    if (wanted.has(deviceId)) continue;
    const what = entry.kind === "volume" ? "volume" : "network interface";
    if (present.has(deviceId)) {
      if (!entry.detaching) {
        inventory[deviceId] = { ...entry, detaching: true, detachingSince: Date.now() };
        await writeInventory(files.inventoryFile, inventory);
        await qmp.execute("device_del", { id: deviceId }).catch(ignoring(isDeviceNotFound));
      } else if (
        !entry.unplugIgnored &&
        Date.now() - (entry.detachingSince ?? Date.now()) > input.unplugTimeoutMs
      ) {
        // A guest without an OS, or one that refuses: QEMU cannot force a PCIe unplug, but the device goes with
        // the QEMU process; the inventory then frees it on the next start.
        inventory[deviceId] = { ...entry, unplugIgnored: true };
        await writeInventory(files.inventoryFile, inventory);
        input.event(
          "Warning",
          "GuestIgnoresUnplug",
          `${what} ${entry.name}: the guest has not released it within ${Math.round(input.unplugTimeoutMs / 1000)} s; the detach completes at the machine's next power-off`,
        );
      }
      if (inventory[deviceId]?.unplugIgnored) {
        pass.stalled.push(
          `${what} ${entry.name} waits for the next power-off (the guest ignores its unplug)`,
        );
      } else pass.waiting.push(`${what} ${entry.name} is being released by the guest`);
      continue;
    }
    if (!(await releaseDevice(input, deviceId, inventory))) {
      pass.waiting.push(`${what} ${entry.name} is being released by QEMU`);
      continue;
    }
    delete inventory[deviceId];
    await writeInventory(files.inventoryFile, inventory);
    input.event(
      "Normal",
      entry.kind === "volume" ? "VolumeDetached" : "NetworkInterfaceDetached",
      `${what} ${entry.name} detached`,
    );
  }
}

/**
 * Frees what a removed device used: its block node and secrets or netdev and tap, and a local disk file.
 * False while QEMU still holds the node (the device object is finalised a moment after it left the guest).
 */
async function releaseDevice(
  input: DeviceSyncInput,
  deviceId: string,
  inventory: Inventory,
): Promise<boolean> {
  const entry = inventory[deviceId];
  if (!entry) return true;
  const { qmp } = input;
  if (entry.kind === "volume") {
    try {
      await qmp.execute("blockdev-del", { "node-name": `vn${entry.key}` });
    } catch (error) {
      if (isNodeInUse(error)) return false;
      ignoring(isNodeNotFound)(error);
    }
    for (const secret of [`sk${entry.key}`, `sp${entry.key}`]) {
      await qmp.execute("object-del", { id: secret }).catch(ignoring(isObjectNotFound));
    }
    if (entry.diskFile) await rm(entry.diskFile, { force: true });
    return true;
  }
  await qmp.execute("netdev_del", { id: `net${entry.key}` }).catch(ignoring(isDeviceNotFound));
  if (entry.tap) await input.nicPlugin.release(entry.tap);
  return true;
}
