// idle-cost-machine: the machine provider on its qemu backend holding 1,000 machines, then its CPU per idle
// minute. The machines are poollet-shaped (poollet-machine.ts) but powered off: 1,000 running guests do not
// fit this host, and a pool holding stopped machines is what the qemu backend then keeps (each machine's
// files and power record, no QEMU process; every resync reads them and looks for its process in /proc).
// The qemu backend calls no remote service, so there are no backend calls to count.
import { createRuntimeClient, machine } from "@iri/api";
import { type IdleCost, measureIdleCost } from "./idle-cost.js";
import { poolletMachine } from "./poollet-machine.js";
import { type ProviderProcess, startMachineProvider } from "./provider-process.js";
import { withConcurrency } from "./samples.js";

const CALLERS = 16;

export async function measureMachineIdle(
  dir: string,
  sizes: { objects: number; windowMs: number },
): Promise<IdleCost> {
  // The shipped classes (t3-small among them); a local-disk budget that 1,000 10 GiB root disks fit.
  const start = () =>
    startMachineProvider(dir, [
      "--backend",
      "qemu",
      "--local-disk-budget-gib",
      "1000000",
      "--streaming-address",
      "127.0.0.1:0",
    ]);
  let provider: ProviderProcess = await start();
  try {
    const client = createRuntimeClient(machine.MachineRuntime, provider.address);
    await withConcurrency(sizes.objects, CALLERS, async (i) => {
      const request = poolletMachine(i);
      const spec = request.machine?.spec;
      if (spec) spec.power = machine.Power.OFF;
      await client.createMachine(request);
    });
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const { machines } = await client.listMachines({});
      if (machines.every((m) => m.status?.state === machine.MachineState.MACHINE_SUSPENDED)) break;
      if (Date.now() > deadline) throw new Error("machines not SUSPENDED within 30 min");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const subject = { objects: sizes.objects, provider, calls: async () => 0, restart: start };
    try {
      return await measureIdleCost(subject, sizes.windowMs);
    } finally {
      provider = subject.provider;
    }
  } finally {
    // The scratch directory goes with the run: powered-off machines hold no process and nothing remote.
    await provider.stop();
  }
}
