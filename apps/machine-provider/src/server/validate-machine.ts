import { machine } from "@iri/api";
import { invalidArgument, validateStringMap } from "@iri/runtime-kit";
import type { MachineClassConfig } from "../machine-classes.js";

export function validateMachineSpec(spec: machine.MachineSpec, classes: readonly MachineClassConfig[]): void {
  if (spec.class === "") throw invalidArgument("spec.class must be set");
  if (!classes.some((c) => c.name === spec.class)) {
    throw invalidArgument(`spec.class: unknown machine class ${JSON.stringify(spec.class)}`);
  }
  validatePower(spec.power, "spec.power");
  const volumeNames = new Set<string>();
  spec.volumes.forEach((v, i) => {
    validateVolume(v, `spec.volumes[${i}]`);
    if (volumeNames.has(v.name))
      throw invalidArgument(`spec.volumes[${i}].name: duplicate ${JSON.stringify(v.name)}`);
    volumeNames.add(v.name);
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
): asserts volume is machine.Volume {
  if (!volume) throw invalidArgument(`${field} must be set`);
  if (volume.name === "") throw invalidArgument(`${field}.name must be set`);
  const sources = (volume.localDisk ? 1 : 0) + (volume.connection ? 1 : 0);
  if (sources !== 1) throw invalidArgument(`${field}: exactly one of local_disk and connection must be set`);
  if (volume.localDisk && volume.localDisk.sizeBytes < 0n) {
    throw invalidArgument(`${field}.local_disk.size_bytes must not be negative`);
  }
  if (volume.connection) {
    if (volume.connection.driver === "") throw invalidArgument(`${field}.connection.driver must be set`);
    validateStringMap(volume.connection.attributes, `${field}.connection.attributes`);
    if (volume.connection.effectiveStorageBytes < 0n) {
      throw invalidArgument(`${field}.connection.effective_storage_bytes must not be negative`);
    }
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
