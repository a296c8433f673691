// durable-creates: CreateMachine throughput against a fresh provider, then kill -9 and a restart to check
// that every create the provider acknowledged is still there (an acknowledgement is a durability promise).
import { join } from "node:path";
import { createRuntimeClient, machine } from "@iri/api";
import { type CreateFloorMeasurement, measureCreateFloor } from "./create-floor.js";
import { runCreateLoad } from "./create-load.js";
import type { BenchOptions } from "./options.js";
import { readCpuMs } from "./proc-stats.js";
import { startMachineProvider } from "./provider-process.js";
import { percentile, probeDuring } from "./status-probe.js";
import { measureStoreFloor, type StoreFloorMeasurement } from "./store-floor.js";

export interface CreateMeasurement {
  acknowledged: number;
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  perSecond: number;
  /**
   * Provider CPU time over the run per wall-clock time (1.0 = one core busy; GC threads can push it above):
   * near 1 means the provider, not the client or the disk, bounds the rate.
   */
  providerCpuFraction: number;
  /** The provider's CPU time per acknowledged create, in milliseconds. */
  providerCpuMsPerCreate: number;
  /** The bench's client CPU time per acknowledged create, in milliseconds. */
  clientCpuMsPerCreate: number;
  /** The same load against a bare connect server in the same run (create-floor.ts). */
  floor: CreateFloorMeasurement;
  /** The store alone under as many writers (store-floor.ts). */
  storeFloor: StoreFloorMeasurement;
  /** Acknowledged ids listed again after kill -9 and a restart. */
  survived: number;
  /** A few of the acknowledged ids that were missing after the restart. */
  lostExamples: string[];
  /** From spawning the restarted provider to its first answer, with all records to load. */
  restartMs: number;
  /** Status calls made one after another during the run, and the 99th percentile of their latency. */
  statusCalls: number;
  statusP99Ms: number;
}

export async function measureDurableCreates(options: BenchOptions, dir: string): Promise<CreateMeasurement> {
  const floor = await measureCreateFloor(options, dir);
  const storeFloor = await measureStoreFloor(options, dir);
  const providerDir = join(dir, "creates");
  const first = await startMachineProvider(providerDir);
  let load: Awaited<ReturnType<typeof runCreateLoad>>;
  let statusLatencies: number[];
  let providerCpuMs: number;
  try {
    const cpuBefore = readCpuMs(first.pid);
    const probed = await probeDuring(
      { runtime: "machine", address: first.address },
      runCreateLoad(first.socketPath, { callers: options.callers, durationMs: options.createSeconds * 1000 }),
    );
    load = probed.value;
    statusLatencies = probed.latencies;
    providerCpuMs = readCpuMs(first.pid) - cpuBefore;
  } finally {
    // At once after the last answer: anything only buffered, not yet on disk, would be lost now.
    await first.kill9();
  }

  const restartStart = performance.now();
  const second = await startMachineProvider(providerDir);
  try {
    const restartMs = performance.now() - restartStart;
    const listed = await createRuntimeClient(machine.MachineRuntime, second.address).listMachines({});
    const present = new Set(listed.machines.map((m) => m.metadata?.id));
    const lost = load.acknowledged.filter((id) => !present.has(id));
    const result: CreateMeasurement = {
      acknowledged: load.acknowledged.length,
      failures: load.failures,
      elapsedMs: load.elapsedMs,
      perSecond: (load.acknowledged.length * 1000) / load.elapsedMs,
      providerCpuFraction: providerCpuMs / load.elapsedMs,
      providerCpuMsPerCreate: providerCpuMs / Math.max(1, load.acknowledged.length),
      clientCpuMsPerCreate: load.clientCpuMsPerCreate,
      floor,
      storeFloor,
      survived: load.acknowledged.length - lost.length,
      lostExamples: lost.slice(0, 3),
      restartMs,
      statusCalls: statusLatencies.length,
      statusP99Ms: percentile(statusLatencies, 99),
    };
    if (load.firstFailure !== undefined) result.firstFailure = load.firstFailure;
    return result;
  } finally {
    await second.stop();
  }
}
