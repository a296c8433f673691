import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { machine } from "@iri/api";
import { noopMachineBackend } from "@iri/noop-backend";
import {
  createBackendContext,
  createLogger,
  EventRecorder,
  KitBackgroundJobs,
  ProviderError,
  ProviderMetrics,
} from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ClassUsage } from "../class-usage.js";
import { openMachineCollection } from "../machine-store.js";
import { MachineCapacity } from "./capacity.js";
import type { MachineServerContext } from "./context.js";
import { createMachine } from "./create-machine.js";
import { status } from "./status.js";

let dir: string;
let db: Database;
let ctx: MachineServerContext;

// Room for exactly 2 machines: 2 host CPUs, no overcommit, 1 CPU per machine.
const classes = [
  {
    name: "one-cpu",
    resources: { cpu: 1n, memory: 1n << 20n },
    cpus: 1n,
    memoryBytes: 1n << 20n,
    settings: {},
  },
];
const policy = {
  cpuOvercommitPercent: 100,
  memoryOvercommitPercent: 100,
  reservedCpus: 0,
  reservedMemoryBytes: 0,
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "create-machine-"));
  db = openDatabase({ path: join(dir, "db") });
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
  const backend = Object.assign(noop, { hostCapacity: async () => ({ cpus: 2, memoryBytes: 1n << 30n }) });
  const capacity = new MachineCapacity(classes, policy, backend, new ClassUsage(machines));
  await capacity.refresh();
  ctx = {
    machines,
    classes,
    capacity,
    backend,
    events: new EventRecorder({ db, logger }),
    execUrl: undefined,
    runtimeName: "test",
    runtimeVersion: "0.0.0",
  };
});

afterEach(async () => {
  await ctx.events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (n: number) =>
  create(machine.CreateMachineRequestSchema, {
    machine: {
      metadata: { labels: { "machinepoollet.ironcore.dev/machine-uid": `uid-${n}` } },
      spec: { class: "one-cpu" },
    },
  });

it("admits concurrent creates only up to capacity, telling refused ones why through an event", async () => {
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, n) => createMachine(ctx, request(n))),
  );
  const accepted = results.filter((r) => r.status === "fulfilled");
  const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  expect(accepted).toHaveLength(2);
  expect(
    refused.every((r) => r.reason instanceof ProviderError && r.reason.code === Code.ResourceExhausted),
  ).toBe(true);
  expect(ctx.machines.count()).toBe(2);
  const warnings = ctx.events.list({}).filter((e) => e.spec?.reason === "InsufficientCapacity");
  expect(warnings).toHaveLength(8);
  expect(warnings[0]?.spec?.type).toBe("Warning");
  expect(warnings[0]?.spec?.involvedObjectMeta?.labels["machinepoollet.ironcore.dev/machine-uid"]).toMatch(
    /^uid-/,
  );
});

it("reports a total that creating machines of the class does not change", async () => {
  const before = await status(ctx, create(machine.StatusRequestSchema));
  await createMachine(ctx, request(1));
  const after = await status(ctx, create(machine.StatusRequestSchema));
  expect(before.machineClassStatus?.[0]?.quantity).toBe(2n);
  expect(after.machineClassStatus?.[0]?.quantity).toBe(2n);
});

it("answers Status from memory, without asking the host (a hung host must not fail the poollet's 5 s probe)", async () => {
  let asked = 0;
  ctx.backend.hostCapacity = () => {
    asked++;
    return new Promise(() => {});
  };
  await createMachine(ctx, request(1));
  expect(status(ctx, create(machine.StatusRequestSchema)).machineClassStatus?.[0]?.quantity).toBe(2n);
  expect(asked).toBe(0);
});
