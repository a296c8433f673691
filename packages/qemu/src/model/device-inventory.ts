import { readJsonFile, writeJsonFile } from "../machine-files.js";

/**
 * What the backend put into a machine's QEMU, by device id: which spec entry it realises and on which root
 * port. Written before a device is added and dropped after it is gone, so after a crash the backend still
 * knows which devices (and their block nodes, secrets and taps) to clean up, and can keep reporting a device
 * that the guest has not released yet under its spec name.
 */
export interface InventoryEntry {
  readonly kind: "volume" | "nic";
  readonly name: string;
  readonly key: string;
  readonly port: number;
  readonly handle: string;
  /** Local disk volumes: the disk file, deleted when the volume is detached. */
  readonly diskFile?: string;
  /** NICs: the tap the NIC plugin prepared. */
  readonly tap?: string;
  readonly networkId?: string;
  readonly detaching?: boolean;
  /** When device_del was sent (ms since the epoch). */
  readonly detachingSince?: number;
  /** The guest let the unplug deadline pass (GuestIgnoresUnplug reported once). */
  readonly unplugIgnored?: boolean;
}

export type Inventory = Record<string, InventoryEntry>;

export function readInventory(path: string): Promise<Inventory> {
  return readJsonFile<Inventory>(path, {});
}

export function writeInventory(path: string, inventory: Inventory): Promise<void> {
  return writeJsonFile(path, inventory);
}

/** The lowest root port no device of the inventory occupies, or undefined when all `ports` are taken. */
export function freePort(inventory: Inventory, ports: number): number | undefined {
  const used = new Set(Object.values(inventory).map((entry) => entry.port));
  for (let port = 0; port < ports; port++) if (!used.has(port)) return port;
  return undefined;
}
