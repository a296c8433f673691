import type { machine } from "@iri/api";
import { macAddress, networkInterfaceKey, shortHash } from "../model/device-keys.js";

/** How one spec NIC is realised in QEMU. */
export interface NicPlan {
  readonly name: string;
  readonly key: string;
  /** virtio-net device id and netdev id in QEMU. */
  readonly deviceId: string;
  readonly netdevId: string;
  readonly mac: string;
  readonly networkId: string;
  readonly ips: readonly string[];
  /**
   * The tap device name a host-side plugin uses (15 characters, the kernel's limit). It hashes the machine id
   * with the NIC's key: host-level names are per machine, so two machines with the same NIC spec never share a
   * tap and deleting one never touches the other's.
   */
  readonly tap: string;
}

export function planNetworkInterface(machineId: string, nic: machine.NetworkInterface): NicPlan {
  const key = networkInterfaceKey(nic);
  return {
    name: nic.name,
    key,
    deviceId: `nic${key}`,
    netdevId: `net${key}`,
    mac: macAddress(machineId, nic.name),
    networkId: nic.networkId,
    ips: [...nic.ips],
    tap: `iri${shortHash("tap", machineId, key).slice(0, 12)}`,
  };
}

/**
 * Connects NICs to the host: prepares what the NIC needs outside QEMU and says which QEMU netdev realises it.
 * Plugins are idempotent: prepare and release may be called again for the same NIC.
 */
export interface NicPlugin {
  /** The `--qemu-nic-plugin` value. */
  readonly name: string;
  /** Host-side set-up; returns the QMP netdev_add arguments except `id`. */
  prepare(nic: NicPlan): Promise<Record<string, unknown>>;
  /** Removes what prepare created for the NIC with this tap name; its QEMU device is already gone. */
  release(tap: string): Promise<void>;
  /** The status handle (documented in the package README). */
  handle(nic: NicPlan): string;
}
