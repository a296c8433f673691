import type { machine } from "@iri/api";
import type { MachineBackend } from "@iri/backend-api";
import { CapacityLedger, configuredClass } from "@iri/runtime-kit";
import type { CapacityPolicy, MachineClassConfig } from "../machine-classes.js";
import type { MachineCollection } from "../machine-store.js";

export type MachineCapacity = CapacityLedger<machine.MachineSpec, machine.MachineStatus>;

/** Every class draws on the one host the backend runs machines on. */
const HOST = "host";

/**
 * The host's machine capacity: its CPUs and memory, less the reservation, times the overcommit, shared by
 * every class; each machine of a class takes the class's cpu and memory (a machine being deleted included,
 * until it is gone). Host resources are read at start and then in the background (they hardly change);
 * Status and admission work on the last reading, synchronously: Status never waits on the host (the
 * machinepoollet marks the pool unhealthy when Status takes 5 s).
 */
export function machineCapacity(
  classes: readonly MachineClassConfig[],
  policy: CapacityPolicy,
  backend: MachineBackend,
  machines: MachineCollection,
): MachineCapacity {
  return new CapacityLedger(
    {
      kind: "machine",
      unit: "machines",
      classes: classes.map((c) => c.name),
      group: () => HOST,
      read: async () => {
        const host = await backend.hostCapacity();
        return {
          cpu: (BigInt(host.cpus - policy.reservedCpus) * BigInt(policy.cpuOvercommitPercent)) / 100n,
          memory:
            ((host.memoryBytes - BigInt(policy.reservedMemoryBytes)) *
              BigInt(policy.memoryOvercommitPercent)) /
            100n,
        };
      },
      perUnit: (name) => {
        const cls = configuredClass(classes, name, "machine");
        return { cpu: cls.cpus, memory: cls.memoryBytes };
      },
      holding: (m) => ({ className: m.spec.class, units: 1n }),
    },
    machines,
  );
}
