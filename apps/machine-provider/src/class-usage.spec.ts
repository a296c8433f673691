import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ClassUsage } from "./class-usage.js";
import { type MachineCollection, openMachineCollection } from "./machine-store.js";

let dir: string;
let db: Database;
let machines: MachineCollection;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "class-usage-"));
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

it("counts the machines that exist at start and follows creates and removals", async () => {
  await add("a", "small");
  const usage = new ClassUsage(machines);
  expect(usage.stored).toEqual(new Map([["small", 1]]));

  await add("b", "small");
  await add("c", "big", ["keep"]);
  await settle();
  expect(usage.stored).toEqual(
    new Map([
      ["small", 2],
      ["big", 1],
    ]),
  );

  // A machine being deleted still holds its resources until it is gone.
  await machines.markDeleted("c");
  await settle();
  expect(usage.stored.get("big")).toBe(1);
  await machines.removeFinalizer("c", "keep");
  await machines.markDeleted("a");
  await settle();
  expect(usage.stored).toEqual(new Map([["small", 1]]));
});

it("adds reservations to what is held until they are released", async () => {
  const usage = new ClassUsage(machines);
  const release = usage.reserve("small");
  expect(usage.held()).toEqual(new Map([["small", 1]]));
  await add("a", "small");
  await settle();
  release();
  release();
  expect(usage.held()).toEqual(new Map([["small", 1]]));
});
