import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { ApplyOutcome, MachineObservation } from "@iri/backend-api";
import type { DeviceSyncResult } from "./devices/device-sync.js";
import type { VolumePlan } from "./model/volume-plan.js";
import type { NicPlan, NicPlugin } from "./nics/nic-plugin.js";

const { MachineState, VolumeState, NetworkInterfaceState } = machine;

/** The machine's devices as configured, for states in which no QEMU holds them. */
export function configuredObservation(
  nicPlugin: NicPlugin,
  state: machine.MachineState,
  volumes: readonly VolumePlan[],
  nics: readonly NicPlan[],
  pending = false,
): MachineObservation {
  const volumeState = pending ? VolumeState.VOLUME_PENDING : VolumeState.VOLUME_ATTACHED;
  const nicState = pending
    ? NetworkInterfaceState.NETWORK_INTERFACE_PENDING
    : NetworkInterfaceState.NETWORK_INTERFACE_ATTACHED;
  return {
    state,
    volumes: volumes.map((v) =>
      create(machine.VolumeStatusSchema, { name: v.name, handle: v.handle, state: volumeState }),
    ),
    networkInterfaces: nics.map((n) =>
      create(machine.NetworkInterfaceStatusSchema, {
        name: n.name,
        handle: nicPlugin.handle(n),
        state: nicState,
      }),
    ),
  };
}

/** A running machine's outcome: its devices as QEMU holds them, and what keeps it from having converged. */
export function runningOutcome(
  imageRef: string,
  devices: DeviceSyncResult,
): ApplyOutcome<MachineObservation> {
  const observation: MachineObservation = {
    state: MachineState.MACHINE_RUNNING,
    imageRef,
    volumes: devices.volumes,
    networkInterfaces: devices.networkInterfaces,
  };
  if (devices.blocked.length > 0) {
    // Recorded as a Warning: more devices than root ports needs a larger --qemu-pcie-root-ports (and a restart
    // of the machine) or fewer devices.
    const message = [...devices.blocked, ...devices.waiting].join("; ");
    return { observation, notDone: { afterMs: 30_000, reason: "NoFreePciePort", message, blocked: true } };
  }
  if (devices.waiting.length > 0) {
    return {
      observation,
      notDone: { afterMs: 1000, reason: "DevicesChanging", message: devices.waiting.join("; ") },
    };
  }
  if (devices.stalled.length > 0) {
    return {
      observation,
      notDone: { afterMs: 30_000, reason: "GuestIgnoresUnplug", message: devices.stalled.join("; ") },
    };
  }
  return { observation };
}
