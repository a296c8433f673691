import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type {
  ApplyOutcome,
  BackendFactory,
  HostCapacity,
  MachineBackend,
  MachineIntent,
  MachineObservation,
  ObjectRef,
  OperationContext,
  OwnedResource,
  RemoveOutcome,
} from "@iri/backend-api";
import { NotedObjects } from "./noted-objects.js";

/**
 * Runs nothing. Every machine is reported as running (or suspended when powered off) with all its volumes
 * and NICs attached. For wiring tests and the conformance suite, never for real hosts.
 */
export class NoopMachineBackend implements MachineBackend {
  readonly name = "noop";

  constructor(private readonly machines: NotedObjects) {}

  async apply(
    intent: MachineIntent,
    ctx: OperationContext<MachineObservation>,
  ): Promise<ApplyOutcome<MachineObservation>> {
    if (!this.machines.has(intent.id)) this.machines.note(intent.id, ctx.tag, { host: "noop" });
    return {
      placement: { host: "noop" },
      observation: {
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
      },
    };
  }

  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    this.machines.forget(ref.id);
    return undefined;
  }

  async listOwned(): Promise<OwnedResource[]> {
    return this.machines.list();
  }

  async hostCapacity(): Promise<HostCapacity> {
    return { cpus: availableParallelism(), memoryBytes: BigInt(totalmem()) };
  }

  async close(): Promise<void> {
    this.machines.close();
  }
}

export const noopMachineBackend: BackendFactory<MachineBackend, Record<string, never>> = {
  name: "noop",
  settings: {},
  async open(_settings, context) {
    return new NoopMachineBackend(
      new NotedObjects(join(context.stateDir, "machines"), context.owner.instanceId),
    );
  },
};
