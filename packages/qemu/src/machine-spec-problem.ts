import type { machine } from "@iri/api";
import { volumeProblem } from "./model/volume-plan.js";

/**
 * What makes a machine spec unusable for this backend, or undefined: for the provider to answer
 * InvalidArgument at CreateMachine/AttachVolume/AttachNetworkInterface instead of failing in a reconcile.
 * Checks unique volume names and devices, each volume's source (see volumeProblem) and unique NIC names.
 */
export function machineSpecProblem(spec: machine.MachineSpec): string | undefined {
  const names = new Set<string>();
  const devices = new Set<string>();
  for (const volume of spec.volumes) {
    if (names.has(volume.name)) return `volume name ${JSON.stringify(volume.name)} is used twice`;
    if (devices.has(volume.device)) return `volume device ${JSON.stringify(volume.device)} is used twice`;
    names.add(volume.name);
    devices.add(volume.device);
    const problem = volumeProblem(volume);
    if (problem) return problem;
  }
  const nics = new Set<string>();
  for (const nic of spec.networkInterfaces) {
    if (nic.name === "") return "network interface name is empty";
    if (nics.has(nic.name)) return `network interface name ${JSON.stringify(nic.name)} is used twice`;
    nics.add(nic.name);
  }
  const hostname = spec.guestConfig?.hostname ?? "";
  if (
    hostname !== "" &&
    !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(hostname)
  ) {
    return `guest_config.hostname ${JSON.stringify(hostname)} is not a valid host name`;
  }
  return undefined;
}
