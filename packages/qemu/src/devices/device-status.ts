import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { DeviceSyncInput, SyncPass } from "./sync-pass.js";

/**
 * The status of every device after a pass: ATTACHED once QEMU holds it, PENDING before; a device the spec
 * dropped but the guest still holds keeps its entry (under its name) until it is gone.
 */
export function deviceStatus(
  input: DeviceSyncInput,
  pass: SyncPass,
): { volumes: machine.VolumeStatus[]; networkInterfaces: machine.NetworkInterfaceStatus[] } {
  const { inventory, attached } = pass;
  const volumes = input.volumes.map((plan) =>
    create(machine.VolumeStatusSchema, {
      name: plan.name,
      handle: plan.handle,
      state: attached.has(plan.deviceId)
        ? machine.VolumeState.VOLUME_ATTACHED
        : machine.VolumeState.VOLUME_PENDING,
    }),
  );
  const networkInterfaces = input.nics.map((plan) =>
    create(machine.NetworkInterfaceStatusSchema, {
      name: plan.name,
      handle: input.nicPlugin.handle(plan),
      state: attached.has(plan.deviceId)
        ? machine.NetworkInterfaceState.NETWORK_INTERFACE_ATTACHED
        : machine.NetworkInterfaceState.NETWORK_INTERFACE_PENDING,
    }),
  );
  const volumeNames = new Set(volumes.map((v) => v.name));
  const nicNames = new Set(networkInterfaces.map((n) => n.name));
  for (const entry of Object.values(inventory)) {
    if (!entry.detaching) continue;
    if (entry.kind === "volume" && !volumeNames.has(entry.name)) {
      volumeNames.add(entry.name);
      volumes.push(
        create(machine.VolumeStatusSchema, {
          name: entry.name,
          handle: entry.handle,
          state: machine.VolumeState.VOLUME_ATTACHED,
        }),
      );
    }
    if (entry.kind === "nic" && !nicNames.has(entry.name)) {
      nicNames.add(entry.name);
      networkInterfaces.push(
        create(machine.NetworkInterfaceStatusSchema, {
          name: entry.name,
          handle: entry.handle,
          state: machine.NetworkInterfaceState.NETWORK_INTERFACE_ATTACHED,
        }),
      );
    }
  }
  return { volumes, networkInterfaces };
}
