import { rm } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { EventType } from "@iri/backend-api";
import { ensureLocalDisk, toSectors } from "./disks/local-disks.js";
import type { MachineFiles } from "./machine-files.js";
import { rootPortId } from "./model/command-line.js";
import { freePort, type Inventory, readInventory, writeInventory } from "./model/device-inventory.js";
import type { VolumePlan } from "./model/volume-plan.js";
import type { NicPlan, NicPlugin } from "./nics/nic-plugin.js";
import type { QmpClient } from "./qmp/qmp-client.js";

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

export interface DeviceSyncResult {
  readonly volumes: machine.VolumeStatus[];
  readonly networkInterfaces: machine.NetworkInterfaceStatus[];
  /** Why the machine's devices are not yet as the spec says (a guest still releasing a device). */
  readonly waiting: string[];
  /** Devices that cannot be added until someone acts (no free PCIe root port). */
  readonly blocked: string[];
  /** Unplugs the guest ignored past the deadline: they complete when QEMU exits (the next power-off). */
  readonly stalled: string[];
}

/**
 * The ids of the devices QEMU holds, from QOM rather than query-pci: a device being unplugged leaves the PCI
 * bus listing before /machine/peripheral (DEVICE_DELETED). Even then it may hold its block node a moment
 * longer, until it is finalised; adding a device on that node then fails and is retried (see syncDevices).
 */
async function presentDevices(qmp: QmpClient): Promise<Set<string>> {
  const children = await qmp.execute<Array<{ name: string; type: string }>>("qom-list", {
    path: "/machine/peripheral",
  });
  return new Set(children.filter((child) => child.type.startsWith("child<")).map((child) => child.name));
}

async function blockNodeSizes(qmp: QmpClient): Promise<Map<string, bigint>> {
  const nodes = await qmp.execute<Array<{ "node-name": string; image?: { "virtual-size"?: number } }>>(
    "query-named-block-nodes",
    { flat: true },
  );
  return new Map(nodes.map((node) => [node["node-name"], BigInt(node.image?.["virtual-size"] ?? 0)]));
}

async function objectIds(qmp: QmpClient): Promise<Set<string>> {
  const objects = await qmp.execute<Array<{ name: string }>>("qom-list", { path: "/objects" });
  return new Set(objects.map((object) => object.name));
}

/**
 * Makes a running (or not yet resumed) QEMU hold exactly the spec's disks and NICs: removes devices no
 * longer wanted (waiting for the guest to release them: DEVICE_DELETED), adds the missing ones on free
 * PCIe root ports, grows disks whose size went up. Level-based and safe to repeat after a crash at any step:
 * what QEMU holds is read back each time, the inventory file only names what to clean up.
 */
export async function syncDevices(input: DeviceSyncInput): Promise<DeviceSyncResult> {
  const { qmp, files } = input;
  const inventory = await readInventory(files.inventoryFile);
  const present = await presentDevices(qmp);
  const wanted = new Set([...input.volumes.map((v) => v.deviceId), ...input.nics.map((n) => n.deviceId)]);
  const waiting: string[] = [];
  const blocked: string[] = [];
  const stalled: string[] = [];

  for (const [deviceId, entry] of Object.entries(inventory)) {
    if (wanted.has(deviceId)) continue;
    const what = entry.kind === "volume" ? "volume" : "network interface";
    if (present.has(deviceId)) {
      if (!entry.detaching) {
        inventory[deviceId] = { ...entry, detaching: true, detachingSince: Date.now() };
        await writeInventory(files.inventoryFile, inventory);
        await qmp.execute("device_del", { id: deviceId }).catch(ignoreQmp("DeviceNotFound"));
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
        stalled.push(`${what} ${entry.name} waits for the next power-off (the guest ignores its unplug)`);
      } else waiting.push(`${what} ${entry.name} is being released by the guest`);
      continue;
    }
    if (!(await releaseDevice(input, deviceId, inventory))) {
      waiting.push(`${what} ${entry.name} is being released by QEMU`);
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

  const nodeSizes = await blockNodeSizes(qmp);
  const objects = await objectIds(qmp);
  const attached = new Set<string>();
  for (const plan of input.volumes) {
    if (present.has(plan.deviceId) && inventory[plan.deviceId]?.detaching) {
      waiting.push(`volume ${plan.name} is being released by the guest before it is attached again`);
      continue;
    }
    if (!present.has(plan.deviceId)) {
      const port = portFor(inventory, plan.deviceId, input.rootPorts);
      if (port === undefined) {
        blocked.push(`volume ${plan.name} waits for a free PCIe root port (all ${input.rootPorts} in use)`);
        continue;
      }
      const diskFile = plan.kind === "local" ? files.diskFile(plan.key) : undefined;
      inventory[plan.deviceId] = {
        kind: "volume",
        name: plan.name,
        key: plan.key,
        port,
        handle: plan.handle,
        ...(diskFile ? { diskFile } : {}),
      };
      await writeInventory(files.inventoryFile, inventory);
      if (!nodeSizes.has(plan.nodeId)) await addBlockNode(input, plan, objects);
      try {
        await qmp.execute("device_add", {
          driver: "virtio-blk-pci",
          id: plan.deviceId,
          drive: plan.nodeId,
          bus: rootPortId(port),
          serial: plan.device,
          ...(input.beforeBoot && plan.name === input.bootVolume ? { bootindex: 0 } : {}),
        });
      } catch (error) {
        // The same volume's previous device (detached a moment ago) is gone from the guest and from QOM but
        // not yet finalised, and still holds the node: try again on the next pass.
        if (!(error as { description?: string }).description?.includes("Permission conflict")) throw error;
        waiting.push(`volume ${plan.name} waits for QEMU to finish releasing its previous device`);
        continue;
      }
      if (!input.beforeBoot)
        input.event("Normal", "VolumeAttached", `volume ${plan.name} attached as ${plan.device}`);
    } else {
      await growIfSmaller(qmp, plan, nodeSizes.get(plan.nodeId) ?? 0n, input.event);
    }
    attached.add(plan.deviceId);
  }

  for (const plan of input.nics) {
    if (present.has(plan.deviceId) && inventory[plan.deviceId]?.detaching) {
      waiting.push(
        `network interface ${plan.name} is being released by the guest before it is attached again`,
      );
      continue;
    }
    if (!present.has(plan.deviceId)) {
      const port = portFor(inventory, plan.deviceId, input.rootPorts);
      if (port === undefined) {
        blocked.push(
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
      await qmp
        .execute("netdev_add", { ...netdev, id: plan.netdevId })
        .catch(ignoreQmp("GenericError", "Duplicate"));
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
        if (!(error as { description?: string }).description?.includes("in use")) throw error;
        waiting.push(`network interface ${plan.name} waits for QEMU to finish releasing its previous device`);
        continue;
      }
      if (!input.beforeBoot)
        input.event("Normal", "NetworkInterfaceAttached", `network interface ${plan.name} attached`);
    }
    attached.add(plan.deviceId);
  }

  return { ...statusOf(input, inventory, attached), waiting, blocked, stalled };
}

function portFor(inventory: Inventory, deviceId: string, ports: number): number | undefined {
  return inventory[deviceId]?.port ?? freePort(inventory, ports);
}

async function addBlockNode(input: DeviceSyncInput, plan: VolumePlan, objects: Set<string>): Promise<void> {
  const { qmp } = input;
  if (plan.kind === "local") {
    const file = input.files.diskFile(plan.key);
    const base = input.bases.get(plan.name);
    await ensureLocalDisk({
      file,
      volume: plan.name,
      ...(plan.image ? { image: plan.image } : {}),
      sizeBytes: plan.sizeBytes,
      emptyBytes: input.emptyDiskBytes,
      ...(base ? { base } : {}),
    });
    await input.giveToQemu(file);
    await qmp.execute("blockdev-add", {
      driver: "qcow2",
      "node-name": plan.nodeId,
      discard: "unmap",
      file: { driver: "file", filename: file },
    });
    return;
  }
  // Secrets go over QMP only: never on a command line, in a file or in a log line.
  if (!objects.has(plan.keySecretId)) {
    await qmp.execute("object-add", {
      "qom-type": "secret",
      id: plan.keySecretId,
      data: plan.keyBase64,
      format: "base64",
    });
  }
  if (plan.passphrase && !objects.has(plan.passphrase.secretId)) {
    await qmp.execute("object-add", {
      "qom-type": "secret",
      id: plan.passphrase.secretId,
      data: plan.passphrase.base64,
      format: "base64",
    });
  }
  await qmp.execute("blockdev-add", {
    driver: "rbd",
    "node-name": plan.nodeId,
    pool: plan.pool,
    ...(plan.namespace ? { namespace: plan.namespace } : {}),
    image: plan.image,
    user: plan.user,
    "key-secret": plan.keySecretId,
    server: plan.servers.map((server) => ({ host: server.host, port: server.port })),
    ...(plan.passphrase ? { encrypt: { format: "luks2", "key-secret": plan.passphrase.secretId } } : {}),
  });
}

async function growIfSmaller(
  qmp: QmpClient,
  plan: VolumePlan,
  current: bigint,
  event: DeviceSyncInput["event"],
): Promise<void> {
  const wanted = toSectors(plan.kind === "local" ? plan.sizeBytes : plan.guestBytes);
  if (wanted <= current) return;
  await qmp.execute("block_resize", { "node-name": plan.nodeId, size: Number(wanted) });
  event("Normal", "VolumeResized", `volume ${plan.name} grown to ${wanted} bytes`);
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
      const description = (error as { description?: string }).description ?? "";
      if (description.includes("is in use")) return false;
      ignoreQmp("GenericError", "find node")(error);
    }
    for (const secret of [`sk${entry.key}`, `sp${entry.key}`]) {
      await qmp.execute("object-del", { id: secret }).catch(ignoreQmp("GenericError", "not found"));
    }
    if (entry.diskFile) await rm(entry.diskFile, { force: true });
    return true;
  }
  await qmp.execute("netdev_del", { id: `net${entry.key}` }).catch(ignoreQmp("DeviceNotFound"));
  if (entry.tap) await input.nicPlugin.release(entry.tap);
  return true;
}

function statusOf(
  input: DeviceSyncInput,
  inventory: Inventory,
  attached: Set<string>,
): Omit<DeviceSyncResult, "waiting" | "blocked" | "stalled"> {
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
  // A device the spec dropped but the guest still holds keeps its entry (under its name) until it is gone.
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

/** A catch handler that swallows QMP errors of `errorClass` (whose description contains `text`, if given). */
function ignoreQmp(errorClass: string, text?: string): (error: unknown) => void {
  return (error: unknown) => {
    const qmpError = error as { errorClass?: string; description?: string };
    if (qmpError.errorClass === errorClass && (text === undefined || qmpError.description?.includes(text)))
      return;
    throw error;
  };
}
