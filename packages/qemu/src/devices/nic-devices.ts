import { rootPortId } from "../model/command-line.js";
import { writeInventory } from "../model/device-inventory.js";
import { ignoring, isDuplicateId, isNetdevHeldByPreviousDevice } from "../qmp/qmp-errors.js";
import { type DeviceSyncInput, portFor, type SyncPass } from "./sync-pass.js";

/**
 * Adds the spec's NICs QEMU does not hold yet: the plugin prepares the host side (a tap), then a netdev and a
 * virtio-net device on a free root port, recorded in the inventory first.
 */
export async function attachNics(input: DeviceSyncInput, pass: SyncPass): Promise<void> {
  const { qmp, files } = input;
  const { inventory, present } = pass;
  for (const plan of input.nics) {
    if (present.has(plan.deviceId) && inventory[plan.deviceId]?.detaching) {
      pass.waiting.push(
        `network interface ${plan.name} is being released by the guest before it is attached again`,
      );
      continue;
    }
    if (!present.has(plan.deviceId)) {
      const port = portFor(inventory, plan.deviceId, input.rootPorts);
      if (port === undefined) {
        pass.blocked.push(
          `network interface ${plan.name} waits for a free PCIe root port (all ${input.rootPorts} in use)`,
        );
        continue;
      }
      inventory[plan.deviceId] = {
        kind: "nic",
        name: plan.name,
        key: plan.key,
        port,
        handle: input.nicPlugin.handle(plan),
        tap: plan.tap,
        networkId: plan.networkId,
      };
      await writeInventory(files.inventoryFile, inventory);
      const netdev = await input.nicPlugin.prepare(plan);
      await qmp.execute("netdev_add", { ...netdev, id: plan.netdevId }).catch(ignoring(isDuplicateId));
      try {
        await qmp.execute("device_add", {
          driver: "virtio-net-pci",
          id: plan.deviceId,
          netdev: plan.netdevId,
          mac: plan.mac,
          bus: rootPortId(port),
        });
      } catch (error) {
        // As for volumes: the previous device of this NIC may hold the netdev a moment after it is gone.
        if (!isNetdevHeldByPreviousDevice(error)) throw error;
        pass.waiting.push(
          `network interface ${plan.name} waits for QEMU to finish releasing its previous device`,
        );
        continue;
      }
      if (!input.beforeBoot)
        input.event("Normal", "NetworkInterfaceAttached", `network interface ${plan.name} attached`);
    }
    pass.attached.add(plan.deviceId);
  }
}
