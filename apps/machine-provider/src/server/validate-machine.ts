import { machine } from "@iri/api";
import type { MachineBackend } from "@iri/backend-api";
import { invalidArgument, LIMITS, validateStringMap } from "@iri/runtime-kit";
import type { MachineClassConfig } from "../machine-classes.js";

/**
 * IronCore's device names, as its MachineVolumeDevices admission plugin assigns them: `od` and one or two
 * letters (`oda`, `odab`). QEMU and libvirt map them to guest devices, so nothing else may reach them.
 */
const DEVICE_NAME = /^[a-z]{2}[a-z][a-z]?$/;
/** Per machine; far beyond what a QEMU guest's PCI bus takes as hot-plugged virtio devices. */
export const MAX_VOLUMES = 64;
export const MAX_NETWORK_INTERFACES = 32;

export function validateMachineSpec(
  spec: machine.MachineSpec,
  classes: readonly MachineClassConfig[],
  backend?: Pick<MachineBackend, "volumeProblem">,
): void {
  if (spec.class === "") throw invalidArgument("spec.class must be set");
  if (!classes.some((c) => c.name === spec.class)) {
    throw invalidArgument(`spec.class: unknown machine class ${JSON.stringify(spec.class)}`);
  }
  validatePower(spec.power, "spec.power");
  if (spec.ignitionData.length > LIMITS.ignitionBytes) {
    throw invalidArgument(
      `spec.ignition_data is ${spec.ignitionData.length} bytes; at most ${LIMITS.ignitionBytes} are allowed`,
    );
  }
  if (spec.volumes.length > MAX_VOLUMES) {
    throw invalidArgument(
      `spec.volumes has ${spec.volumes.length} entries; at most ${MAX_VOLUMES} are allowed`,
    );
  }
  if (spec.networkInterfaces.length > MAX_NETWORK_INTERFACES) {
    throw invalidArgument(
      `spec.network_interfaces has ${spec.networkInterfaces.length} entries; at most ${MAX_NETWORK_INTERFACES} are allowed`,
    );
  }
  const volumeNames = new Set<string>();
  const devices = new Set<string>();
  spec.volumes.forEach((v, i) => {
    validateVolume(v, `spec.volumes[${i}]`, backend);
    if (volumeNames.has(v.name))
      throw invalidArgument(`spec.volumes[${i}].name: duplicate ${JSON.stringify(v.name)}`);
    volumeNames.add(v.name);
    if (devices.has(v.device))
      throw invalidArgument(`spec.volumes[${i}].device: duplicate ${JSON.stringify(v.device)}`);
    devices.add(v.device);
  });
  const nicNames = new Set<string>();
  spec.networkInterfaces.forEach((n, i) => {
    validateNetworkInterface(n, `spec.network_interfaces[${i}]`);
    if (nicNames.has(n.name)) {
      throw invalidArgument(`spec.network_interfaces[${i}].name: duplicate ${JSON.stringify(n.name)}`);
    }
    nicNames.add(n.name);
  });
}

export function validatePower(power: machine.Power, field: string): void {
  if (power !== machine.Power.ON && power !== machine.Power.OFF) {
    throw invalidArgument(`${field}: unknown power state ${power}`);
  }
}

export function validateVolume(
  volume: machine.Volume | undefined,
  field: string,
  backend?: Pick<MachineBackend, "volumeProblem">,
): asserts volume is machine.Volume {
  if (!volume) throw invalidArgument(`${field} must be set`);
  if (volume.name === "") throw invalidArgument(`${field}.name must be set`);
  if (!DEVICE_NAME.test(volume.device)) {
    throw invalidArgument(
      `${field}.device ${JSON.stringify(volume.device.slice(0, 16))} is not a device name ` +
        "(two to three lowercase letters then an optional one, e.g. oda or odab)",
    );
  }
  const sources = (volume.localDisk ? 1 : 0) + (volume.connection ? 1 : 0);
  if (sources !== 1) throw invalidArgument(`${field}: exactly one of local_disk and connection must be set`);
  if (volume.localDisk) validateDiskBytes(volume.localDisk.sizeBytes, `${field}.local_disk.size_bytes`);
  if (volume.connection) {
    if (volume.connection.driver === "") throw invalidArgument(`${field}.connection.driver must be set`);
    validateStringMap(volume.connection.attributes, `${field}.connection.attributes`);
    validateDiskBytes(volume.connection.effectiveStorageBytes, `${field}.connection.effective_storage_bytes`);
  }
  const problem = backend?.volumeProblem?.(volume);
  if (problem) throw invalidArgument(`${field}: ${problem}`);
}

/** 0 means "not given" (the poollet sends 0 for a local disk without a size limit). */
function validateDiskBytes(bytes: bigint, field: string): void {
  if (bytes < 0n) throw invalidArgument(`${field} must not be negative`);
  if (bytes > LIMITS.diskBytes) {
    throw invalidArgument(`${field} ${bytes} is larger than any disk can be (at most ${LIMITS.diskBytes})`);
  }
}

export function validateNetworkInterface(
  nic: machine.NetworkInterface | undefined,
  field: string,
): asserts nic is machine.NetworkInterface {
  if (!nic) throw invalidArgument(`${field} must be set`);
  if (nic.name === "") throw invalidArgument(`${field}.name must be set`);
  validateStringMap(nic.attributes, `${field}.attributes`);
}
