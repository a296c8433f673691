import { ensureLocalDisk, toSectors } from "../disks/local-disks.js";
import { rootPortId } from "../model/command-line.js";
import { writeInventory } from "../model/device-inventory.js";
import type { VolumePlan } from "../model/volume-plan.js";
import type { QmpClient } from "../qmp/qmp-client.js";
import { isDriveHeldByPreviousDevice } from "../qmp/qmp-errors.js";
import { blockNodeSizes, objectIds } from "./qemu-devices.js";
import { type DeviceSyncInput, portFor, type SyncPass } from "./sync-pass.js";

/**
 * Adds the spec's volumes QEMU does not hold yet (block node, then a virtio-blk device on a free root port,
 * recorded in the inventory first) and grows those whose size went up.
 */
export async function attachVolumes(input: DeviceSyncInput, pass: SyncPass): Promise<void> {
  const { qmp, files } = input;
  const { inventory, present } = pass;
  const nodeSizes = await blockNodeSizes(qmp);
  const objects = await objectIds(qmp);
  for (const plan of input.volumes) {
    if (present.has(plan.deviceId) && inventory[plan.deviceId]?.detaching) {
      pass.waiting.push(`volume ${plan.name} is being released by the guest before it is attached again`);
      continue;
    }
    if (!present.has(plan.deviceId)) {
      const port = portFor(inventory, plan.deviceId, input.rootPorts);
      if (port === undefined) {
        pass.blocked.push(
          `volume ${plan.name} waits for a free PCIe root port (all ${input.rootPorts} in use)`,
        );
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
        if (!isDriveHeldByPreviousDevice(error)) throw error;
        pass.waiting.push(`volume ${plan.name} waits for QEMU to finish releasing its previous device`);
        continue;
      }
      if (!input.beforeBoot)
        input.event("Normal", "VolumeAttached", `volume ${plan.name} attached as ${plan.device}`);
    } else {
      await growIfSmaller(qmp, plan, nodeSizes.get(plan.nodeId) ?? 0n, input.event);
    }
    pass.attached.add(plan.deviceId);
  }
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
