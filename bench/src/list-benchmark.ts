// list-10k and rss-10k: one provider filled with poollet-shaped machines, then ListMachines timed against the
// time to serve the very same response bytes from a server that does nothing else (the floor).
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { createRuntimeClient, machine } from "@iri/api";
import { runCreateLoad } from "./create-load.js";
import { type FloorServer, startFloorServer } from "./floor-server.js";
import type { BenchOptions } from "./options.js";
import { type MemoryStats, readCpuMs, readMemory, waitUntilIdle } from "./proc-stats.js";
import { startMachineProvider } from "./provider-process.js";
import { EMPTY_MESSAGE, RawGrpcClient } from "./raw-grpc.js";
import { type Summary, summarize, timed } from "./samples.js";

const LIST_PATH = `/${machine.MachineRuntime.typeName}/${machine.MachineRuntime.method.listMachines.name}`;
/** Untimed calls per side first, so that JIT, buffers and HTTP/2 windows are warm on both. */
const WARMUP_CALLS = 3;

export interface ListMeasurement {
  machines: number;
  /** Size of the ListMachines response body on the wire (gRPC envelope included). */
  responseBytes: number;
  /** Filling the store: creates/s of the poollet-shaped machines with `callers` concurrent callers. */
  fillPerSecond: number;
  /** From the last create to every machine RUNNING and the provider idle. */
  convergeMs: number;
  /** The @iri/api connect client, decoding the response: the target's ratio. */
  provider: Summary;
  floor: Summary;
  /** Bare HTTP/2 without decoding: the same comparison with the client's own cost taken out. */
  providerRaw: Summary;
  floorRaw: Summary;
  /** User + system CPU the provider spent per List (from /proc; 10 ms tick resolution, averaged). */
  providerCpuPerListMs: number;
  memoryBeforeLists: MemoryStats;
  memoryAfterLists: MemoryStats;
}

export async function measureList(options: BenchOptions, dir: string): Promise<ListMeasurement> {
  // Periodic resync would reconcile every machine in the middle of the timings; it is a cost of its own,
  // not of List, and the target is about a quiet store.
  const provider = await startMachineProvider(join(dir, "provider"), ["--resync-period-ms", "0"]);
  let floor: FloorServer | undefined;
  const rawClients: RawGrpcClient[] = [];
  try {
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    const fill = await runCreateLoad(provider.socketPath, {
      callers: options.callers,
      total: options.machines,
      failFast: true,
    });
    if (fill.failures > 0) throw new Error(`filling the store failed: ${fill.firstFailure}`);

    const convergeStart = performance.now();
    await waitUntilAllRunning(client, provider.pid, options.machines);
    const convergeMs = performance.now() - convergeStart;
    const memoryBeforeLists = readMemory(provider.pid);

    const providerRaw = new RawGrpcClient(provider.socketPath);
    rawClients.push(providerRaw);
    const captured = await providerRaw.call(LIST_PATH, EMPTY_MESSAGE);
    const floorSocket = join(dir, "floor.sock");
    floor = await startFloorServer({ socketPath: floorSocket, path: LIST_PATH, response: captured });
    const floorRaw = new RawGrpcClient(floorSocket);
    rawClients.push(floorRaw);
    const floorClient = createRuntimeClient(machine.MachineRuntime, floor.address);

    const fromFloor = await floorClient.listMachines({});
    if (fromFloor.machines.length !== options.machines) {
      throw new Error(`floor answered ${fromFloor.machines.length} machines, expected ${options.machines}`);
    }
    type Side = "provider" | "floor" | "providerRaw" | "floorRaw";
    const calls: Record<Side, () => Promise<unknown>> = {
      provider: () => client.listMachines({}),
      floor: () => floorClient.listMachines({}),
      providerRaw: () => providerRaw.call(LIST_PATH, EMPTY_MESSAGE),
      floorRaw: () => floorRaw.call(LIST_PATH, EMPTY_MESSAGE),
    };
    for (let i = 0; i < WARMUP_CALLS; i++) {
      for (const call of Object.values(calls)) await call();
    }
    await waitUntilIdle(provider.pid);

    const cpuBefore = readCpuMs(provider.pid);
    const samples = {
      provider: [] as number[],
      floor: [] as number[],
      providerRaw: [] as number[],
      floorRaw: [] as number[],
    };
    for (let i = 0; i < options.listIterations; i++) {
      // Alternating which side goes first spreads drift (GC debt, CPU frequency, neighbours) over both.
      const order = i % 2 === 0 ? (["provider", "floor"] as const) : (["floor", "provider"] as const);
      for (const side of order) {
        const raw = side === "provider" ? "providerRaw" : "floorRaw";
        for (const which of [side, raw] as const) {
          collectClientGarbage();
          samples[which].push((await timed(calls[which])).ms);
        }
      }
    }

    // The provider is idle between its own calls, so its CPU time over the loop is that of its Lists alone.
    const providerCpuPerListMs = (readCpuMs(provider.pid) - cpuBefore) / (2 * options.listIterations);

    return {
      machines: options.machines,
      providerCpuPerListMs,
      responseBytes: captured.body.length,
      fillPerSecond: (fill.acknowledged.length * 1000) / fill.elapsedMs,
      convergeMs,
      provider: summarize(samples.provider),
      floor: summarize(samples.floor),
      providerRaw: summarize(samples.providerRaw),
      floorRaw: summarize(samples.floorRaw),
      memoryBeforeLists,
      memoryAfterLists: readMemory(provider.pid),
    };
  } finally {
    for (const raw of rawClients) raw.close();
    await floor?.close();
    await provider.stop();
  }
}

/**
 * Decoding 10,000 machines leaves tens of MB of garbage in the bench process; collecting it before each timed
 * call keeps the client's GC pauses, which are no cost of either server, out of whichever call they would hit.
 * Needs `node --expose-gc` (the `bench` script passes it); without it the medians are just noisier.
 */
function collectClientGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Waits until the reconciler has taken every machine to RUNNING and the provider has gone idle. Lists only
 * when the provider is idle, so that Lists of every machine do not slow down the convergence they are waiting for.
 */
async function waitUntilAllRunning(
  client: Client<typeof machine.MachineRuntime>,
  pid: number,
  expected: number,
): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    await waitUntilIdle(pid, { timeoutMs: 600_000 });
    const { machines } = await client.listMachines({});
    const running = machines.filter((m) => m.status?.state === machine.MachineState.MACHINE_RUNNING).length;
    if (machines.length === expected && running === expected) {
      await waitUntilIdle(pid);
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${running} of ${expected} machines RUNNING (${machines.length} listed) after 10 min`);
    }
  }
}
