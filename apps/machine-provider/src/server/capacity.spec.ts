import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { MachineBackend } from "@iri/backend-api";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type MachineCollection, openMachineCollection } from "../machine-store.js";
import { machineCapacity } from "./capacity.js";

const GiB = 1n << 30n;
const classes = [
  { name: "small", resources: {}, cpus: 1n, memoryBytes: 1n * GiB, settings: {} },
  { name: "big", resources: {}, cpus: 4n, memoryBytes: 8n * GiB, settings: {} },
];
// 4 CPUs at 200 % and 17 GiB less 1 GiB reserved: 8 vCPUs, 16 GiB.
const backend = { hostCapacity: async () => ({ cpus: 4, memoryBytes: 17n * GiB }) } as MachineBackend;
const policy = {
  cpuOvercommitPercent: 200,
  memoryOvercommitPercent: 100,
  reservedCpus: 0,
  reservedMemoryBytes: 2 ** 30,
};

let dir: string;
let db: Database;
let machines: MachineCollection;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "machine-capacity-"));
  db = openDatabase({ path: join(dir, "db") });
  machines = openMachineCollection(db, randomBytes(32));
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const add = (id: string, cls: string, finalizers: string[] = []) =>
  machines.create({
    id,
    finalizers,
    spec: create(machine.MachineSpecSchema, { class: cls }),
    status: create(machine.MachineStatusSchema, {}),
  });

/** Watch events arrive after the commit; let them be delivered. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function readCapacity() {
  const capacity = machineCapacity(classes, policy, backend, machines);
  await capacity.refresh();
  return capacity;
}

it("counts what fits after reservation and overcommit", async () => {
  // small is CPU-bound (8), big is bound by both (2).
  expect((await readCapacity()).totals()).toEqual(
    new Map([
      ["small", 8n],
      ["big", 2n],
    ]),
  );
});

it("is a total: a machine of the class leaves its own quantity unchanged", async () => {
  const capacity = await readCapacity();
  await add("b1", "big");
  await settle();
  const totals = capacity.totals();
  expect(totals.get("big")).toBe(2n);
  // The machinepoollet: allocatable = quantity − its machines of the class.
  expect((totals.get("big") ?? 0n) - 1n).toBe(1n);
  // The big machine takes 4 vCPUs and 8 GiB from what small machines could use: 4 more fit.
  expect(totals.get("small")).toBe(4n);
});

it("never reports less than what is held, and refuses more when the host is full", async () => {
  await add("b1", "big");
  await add("b2", "big");
  await add("s1", "small");
  const capacity = await readCapacity();
  expect(capacity.totals()).toEqual(
    new Map([
      ["small", 1n],
      ["big", 2n],
    ]),
  );
  await expect(capacity.admit("small", 1n)).rejects.toThrow(/machine class "small" has room for 0 more/);
});

it("counts machines of classes no longer configured as holding nothing", async () => {
  await add("g1", "gone");
  expect((await readCapacity()).totals().get("small")).toBe(8n);
});

it("holds a machine being deleted until it is gone, and a reservation until it is released", async () => {
  const capacity = await readCapacity();
  await add("b1", "big", ["keep"]);
  const release = await capacity.admit("big", 1n);
  expect(capacity.totals().get("small")).toBe(0n);
  release();
  release();
  await machines.markDeleted("b1");
  await settle();
  expect(capacity.totals().get("small")).toBe(4n);
  await machines.removeFinalizer("b1", "keep");
  await settle();
  expect(capacity.totals().get("small")).toBe(8n);
});
