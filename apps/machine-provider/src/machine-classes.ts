import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { HostCapacity } from "@iri/backend-api";
import { readClassFile } from "@iri/runtime-kit";

export interface MachineClassConfig {
  readonly name: string;
  /** IRI capabilities, e.g. {cpu: 2, memory: 4294967296}; cpu and memory are required. */
  readonly resources: Readonly<Record<string, bigint>>;
  readonly cpus: bigint;
  readonly memoryBytes: bigint;
}

export interface CapacityPolicy {
  cpuOvercommitPercent: number;
  memoryOvercommitPercent: number;
  reservedCpus: number;
  reservedMemoryBytes: number;
}

/** Reads a machine class file: entries {name, capabilities: {cpu, memory, ...}}. Throws a readable Error. */
export function loadMachineClasses(path: string): MachineClassConfig[] {
  return readClassFile(path, ({ name, capabilities, where }) => {
    if (typeof capabilities !== "object" || capabilities === null) {
      throw new Error(`${where}.capabilities: expected an object`);
    }
    const resources: Record<string, bigint> = {};
    for (const [key, value] of Object.entries(capabilities)) {
      if (!Number.isSafeInteger(value) || (value as number) <= 0) {
        throw new Error(`${where}.capabilities.${key}: expected a positive integer`);
      }
      resources[key] = BigInt(value as number);
    }
    const cpus = resources.cpu;
    const memoryBytes = resources.memory;
    if (cpus === undefined || memoryBytes === undefined) {
      throw new Error(`${where}.capabilities: cpu and memory are required`);
    }
    return { name, resources, cpus, memoryBytes };
  });
}

/**
 * How many more machines of each class fit on the host, given how many machines of each class exist now
 * (each holds its class's resources until it is gone).
 */
export function classQuantities(
  classes: readonly MachineClassConfig[],
  host: HostCapacity,
  policy: CapacityPolicy,
  machinesPerClass: ReadonlyMap<string, number>,
): Map<string, bigint> {
  let cpuLeft = (BigInt(host.cpus - policy.reservedCpus) * BigInt(policy.cpuOvercommitPercent)) / 100n;
  let memLeft =
    ((host.memoryBytes - BigInt(policy.reservedMemoryBytes)) * BigInt(policy.memoryOvercommitPercent)) / 100n;
  for (const cls of classes) {
    const count = BigInt(machinesPerClass.get(cls.name) ?? 0);
    cpuLeft -= cls.cpus * count;
    memLeft -= cls.memoryBytes * count;
  }
  const result = new Map<string, bigint>();
  for (const cls of classes) {
    const fit = cpuLeft <= 0n || memLeft <= 0n ? 0n : min(cpuLeft / cls.cpus, memLeft / cls.memoryBytes);
    result.set(cls.name, fit);
  }
  return result;
}

export function toMachineClassStatus(cls: MachineClassConfig, quantity: bigint): machine.MachineClassStatus {
  return create(machine.MachineClassStatusSchema, {
    machineClass: { name: cls.name, capabilities: { resources: { ...cls.resources } } },
    quantity,
  });
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
