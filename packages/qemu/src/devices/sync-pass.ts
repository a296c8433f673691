import type { EventType } from "@iri/backend-api";
import type { MachineFiles } from "../machine-files.js";
import { freePort, type Inventory } from "../model/device-inventory.js";
import type { VolumePlan } from "../model/volume-plan.js";
import type { NicPlan, NicPlugin } from "../nics/nic-plugin.js";
import type { QmpClient } from "../qmp/qmp-client.js";

export interface DeviceSyncInput {
  readonly qmp: QmpClient;
  readonly files: MachineFiles;
  readonly volumes: readonly VolumePlan[];
  readonly nics: readonly NicPlan[];
  /** Raw base images of local disks, by volume name (resolved before). */
  readonly bases: ReadonlyMap<string, string>;
  readonly rootPorts: number;
  readonly emptyDiskBytes: bigint;
  readonly nicPlugin: NicPlugin;
  /** QEMU has not run the guest yet: devices are cold-plugged (no attach events). */
  readonly beforeBoot: boolean;
  /** The volume the firmware boots from (none with a direct kernel boot): it gets boot index 0. */
  readonly bootVolume: string | undefined;
  readonly event: (type: EventType, reason: string, message: string) => void;
  /** How long the guest has to release an unplugged device before a GuestIgnoresUnplug Warning. */
  readonly unplugTimeoutMs: number;
  /** Hands a new local disk file to QEMU's user (see confinement/). */
  readonly giveToQemu: (path: string) => Promise<void>;
}

/** What one pass of syncDevices has found so far, shared by its steps (release, volumes, NICs, status). */
export interface SyncPass {
  /** The devices added and not yet freed, as written to devices.json (rewritten before each change). */
  readonly inventory: Inventory;
  /** The device ids QEMU holds at the start of the pass. */
  readonly present: ReadonlySet<string>;
  /** The spec's devices QEMU holds (or was just given). */
  readonly attached: Set<string>;
  /** Why the machine's devices are not yet as the spec says (a guest still releasing a device). */
  readonly waiting: string[];
  /** Devices that cannot be added until someone acts (no free PCIe root port). */
  readonly blocked: string[];
  /** Unplugs the guest ignored past the deadline: they complete when QEMU exits (the next power-off). */
  readonly stalled: string[];
}

/** The root port a device has, or a free one for a new device; undefined when all are taken. */
export function portFor(inventory: Inventory, deviceId: string, ports: number): number | undefined {
  return inventory[deviceId]?.port ?? freePort(inventory, ports);
}
