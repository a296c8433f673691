import { availableParallelism, totalmem } from "node:os";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { HostCapacity, MachineBackend, MachineIntent, MachineObservation } from "@iri/backend-api";

/**
 * Runs nothing. Every machine is reported as running (or suspended when powered off) with all its volumes
 * and NICs attached. For wiring tests and the conformance suite, never for real hosts.
 */
export class NoopMachineBackend implements MachineBackend {
  readonly name = "noop";
  private readonly owned = new Set<string>();

  async apply(intent: MachineIntent): Promise<MachineObservation> {
    this.owned.add(intent.id);
    return {
      state:
        intent.spec.power === machine.Power.OFF
          ? machine.MachineState.MACHINE_SUSPENDED
          : machine.MachineState.MACHINE_RUNNING,
      volumes: intent.spec.volumes.map((v) =>
        create(machine.VolumeStatusSchema, {
          name: v.name,
          handle: v.connection?.handle ?? `noop-local-${v.name}`,
          state: machine.VolumeState.VOLUME_ATTACHED,
        }),
      ),
      networkInterfaces: intent.spec.networkInterfaces.map((n) =>
        create(machine.NetworkInterfaceStatusSchema, {
          name: n.name,
          handle: `noop-nic-${n.name}`,
          state: machine.NetworkInterfaceState.NETWORK_INTERFACE_ATTACHED,
        }),
      ),
    };
  }

  async remove(id: string): Promise<void> {
    this.owned.delete(id);
  }

  async listOwned(): Promise<string[]> {
    return [...this.owned];
  }

  async hostCapacity(): Promise<HostCapacity> {
    return { cpus: availableParallelism(), memoryBytes: BigInt(totalmem()) };
  }

  async close(): Promise<void> {}
}
