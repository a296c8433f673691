import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { MachineClassConfig } from "@iri/backend-api";
import { readClassFile } from "@iri/runtime-kit";

export type { MachineClassConfig } from "@iri/backend-api";

export interface CapacityPolicy {
  cpuOvercommitPercent: number;
  memoryOvercommitPercent: number;
  reservedCpus: number;
  reservedMemoryBytes: number;
}

/**
 * Reads a machine class file: entries {name, capabilities: {cpu, memory, ...}, settings?}. A class without
 * cpu or memory is refused (the provider could not size its machines). Throws a readable Error.
 */
export function loadMachineClasses(path: string): MachineClassConfig[] {
  return readClassFile(path, ({ name, capabilities, settings, where }) => {
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
    if (settings !== undefined && (typeof settings !== "object" || settings === null)) {
      throw new Error(`${where}.settings: expected an object`);
    }
    return { name, resources, cpus, memoryBytes, settings: (settings ?? {}) as Record<string, unknown> };
  });
}

export function toMachineClassStatus(cls: MachineClassConfig, quantity: bigint): machine.MachineClassStatus {
  return create(machine.MachineClassStatusSchema, {
    machineClass: { name: cls.name, capabilities: { resources: { ...cls.resources } } },
    quantity,
  });
}
