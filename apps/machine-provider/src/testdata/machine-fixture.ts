import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noopMachineBackend } from "@iri/noop-backend";
import { volumeProblem } from "@iri/qemu";
import {
  createBackendContext,
  createLogger,
  EventRecorder,
  KitBackgroundJobs,
  ProviderMetrics,
} from "@iri/runtime-kit";
import { openDatabase } from "@iri/store";
import type { MachineClassConfig } from "../machine-classes.js";
import { openMachineCollection } from "../machine-store.js";
import { machineCapacity } from "../server/capacity.js";
import type { MachineServerContext } from "../server/context.js";
import { ListedBytes } from "../server/listed-bytes.js";
import { LocalDiskBudget } from "../server/local-disk-budget.js";

/** Room for exactly 2 machines: 2 host CPUs, no overcommit, 1 CPU per machine. */
export const ONE_CPU_CLASSES: MachineClassConfig[] = [
  {
    name: "one-cpu",
    resources: { cpu: 1n, memory: 1n << 20n },
    cpus: 1n,
    memoryBytes: 1n << 20n,
    settings: {},
  },
];
export const LIST_BUDGET = 3 * 1024 * 1024;
const policy = {
  cpuOvercommitPercent: 100,
  memoryOvercommitPercent: 100,
  reservedCpus: 0,
  reservedMemoryBytes: 0,
};

/**
 * A machine server context on a real store and the noop backend, on a host of 2 CPUs and 1 GiB, with room
 * for 3 GiB of local disks; the qemu backend's volume validation, as the provider runs it.
 */
export async function machineFixture(classes = ONE_CPU_CLASSES) {
  const dir = mkdtempSync(join(tmpdir(), "machine-provider-"));
  const db = openDatabase({ path: join(dir, "db") });
  const machines = openMachineCollection(db, randomBytes(32));
  const logger = createLogger({ level: "silent" });
  const noop = await noopMachineBackend.open(
    {},
    createBackendContext({
      stateDir: dir,
      logger,
      metrics: new ProviderMetrics({ processMetrics: false }).registry,
      owner: { provider: "test", instanceId: "i1" },
      jobs: new KitBackgroundJobs(),
    }),
  );
  const backend = Object.assign(noop, {
    hostCapacity: async () => ({ cpus: 2, memoryBytes: 1n << 30n }),
    volumeProblem,
  });
  const capacity = machineCapacity(classes, policy, backend, machines);
  await capacity.refresh();
  const ctx: MachineServerContext = {
    machines,
    classes,
    capacity,
    listed: new ListedBytes(machines, LIST_BUDGET),
    diskBudget: new LocalDiskBudget(machines, 3n << 30n),
    backend,
    events: new EventRecorder({ db, logger }),
    execUrl: undefined,
    runtimeName: "test",
    runtimeVersion: "0.0.0",
  };
  return {
    ctx,
    async close() {
      await ctx.events.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
