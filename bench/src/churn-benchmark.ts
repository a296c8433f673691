// rss-after-churn: a provider that has seen many objects come and go must give the memory back; RSS after
// creating and deleting twice the machines of list-10k, with nothing left in the store.
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { createRuntimeClient, machine } from "@iri/api";
import { runCreateLoad } from "./create-load.js";
import type { BenchOptions } from "./options.js";
import { type MemoryStats, readMemory, waitUntilIdle } from "./proc-stats.js";
import { startMachineProvider } from "./provider-process.js";

export interface ChurnMeasurement {
  /** Machines created and then deleted. */
  machines: number;
  memoryAfterChurn: MemoryStats;
}

export async function measureChurn(options: BenchOptions, dir: string): Promise<ChurnMeasurement> {
  const machines = 2 * options.machines;
  const provider = await startMachineProvider(join(dir, "churn"), ["--resync-period-ms", "0"]);
  try {
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    const fill = await runCreateLoad(provider.socketPath, {
      callers: options.callers,
      total: machines,
      failFast: true,
    });
    if (fill.failures > 0) throw new Error(`creating machines failed: ${fill.firstFailure}`);
    await deleteAll(client, fill.acknowledged, options.callers);
    await waitUntilEmpty(client, provider.pid);
    return { machines, memoryAfterChurn: readMemory(provider.pid) };
  } finally {
    await provider.stop();
  }
}

async function deleteAll(
  client: Client<typeof machine.MachineRuntime>,
  ids: readonly string[],
  callers: number,
): Promise<void> {
  let next = 0;
  const caller = async () => {
    while (next < ids.length) {
      const machineId = ids[next++] as string;
      await client.deleteMachine({ machineId });
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
}

/** Deleted machines leave the store once the reconciler has released them (the finalizer). */
async function waitUntilEmpty(client: Client<typeof machine.MachineRuntime>, pid: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    await waitUntilIdle(pid, { timeoutMs: 600_000 });
    const { machines } = await client.listMachines({});
    if (machines.length === 0) {
      await waitUntilIdle(pid);
      return;
    }
    if (Date.now() > deadline) throw new Error(`${machines.length} machines still listed after 10 min`);
  }
}
