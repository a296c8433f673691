import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import {
  type ApplyOutcome,
  type MachineBackend,
  type MachineIntent,
  type MachineObservation,
  type ObjectRef,
  PermanentBackendError,
} from "@iri/backend-api";
import {
  createLogger,
  EventRecorder,
  type ObjectReconciler,
  objectReconciler,
  openBackendState,
} from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKEND_FINALIZER, type MachineCollection, openMachineCollection } from "../machine-store.js";
import { machineReconcilerOptions } from "./machine-reconciler.js";

class FakeBackend implements MachineBackend {
  readonly name = "fake";
  applied: MachineIntent[] = [];
  removed: ObjectRef[] = [];
  failWith: Error | undefined;
  async apply(intent: MachineIntent): Promise<ApplyOutcome<MachineObservation>> {
    this.applied.push(intent);
    if (this.failWith) throw this.failWith;
    return {
      placement: { dir: `/machines/${intent.id}` },
      observation: {
        state: machine.MachineState.MACHINE_RUNNING,
        volumes: [],
        networkInterfaces: [
          create(machine.NetworkInterfaceStatusSchema, { name: "eth0", handle: "tap0", state: 1 }),
        ],
      },
    };
  }
  async remove(ref: ObjectRef) {
    this.removed.push(ref);
    return undefined;
  }
  async listOwned() {
    return [];
  }
  async hostCapacity() {
    return { cpus: 2, memoryBytes: 1n << 33n };
  }
  async close() {}
}

const classes = [
  {
    name: "small",
    resources: { cpu: 1n, memory: 1n << 30n },
    cpus: 1n,
    memoryBytes: 1n << 30n,
    settings: {},
  },
];
let dir: string;
let db: Database;
let machines: MachineCollection;
let events: EventRecorder;
let backend: FakeBackend;
let reconciler: ObjectReconciler;
const signal = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "machine-reconciler-"));
  db = openDatabase({ path: join(dir, "db") });
  machines = openMachineCollection(db, randomBytes(32));
  const logger = createLogger({ level: "silent" });
  events = new EventRecorder({ db, logger });
  backend = new FakeBackend();
  reconciler = objectReconciler({
    ...machineReconcilerOptions({ machines, classes, backend }),
    states: openBackendState(db, "machine"),
    events,
    logger,
    nextTag: async () => ({ lineage: "test", generation: 1 }),
  });
});

afterEach(async () => {
  reconciler.close();
  await events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const createMachine = (id: string) =>
  machines.create({
    id,
    finalizers: [BACKEND_FINALIZER],
    spec: create(machine.MachineSpecSchema, { class: "small" }),
    status: create(machine.MachineStatusSchema, {}),
  });

describe("machine reconciler", () => {
  it("hands the backend the class's cpu and memory and writes what it observed", async () => {
    await createMachine("m1");
    await reconciler.reconcile("m1", signal);
    expect(backend.applied[0]?.class.cpus).toBe(1n);
    const status = machines.get("m1")?.status;
    expect(status?.state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(status?.observedGeneration).toBe(1n);
    expect(status?.networkInterfaces[0]?.handle).toBe("tap0");
    expect(events.list({ id: "m1" }).map((e) => e.spec?.reason)).toEqual(["Running"]);
  });

  it("on a permanent failure: Ready=False with the reason, one Warning, no retry until the spec changes", async () => {
    await createMachine("m1");
    backend.failWith = new PermanentBackendError("ImageNotFound", "image registry.local/os:1 not found");
    const first = await reconciler.reconcile("m1", signal);
    expect(first?.requeueAfterMs).toBeGreaterThan(60_000);
    const again = await reconciler.reconcile("m1", signal);
    expect(backend.applied).toHaveLength(1);
    expect(again?.requeueAfterMs).toBeGreaterThan(60_000);
    const condition = machines.get("m1")?.status.machineConditions[0];
    expect(condition).toMatchObject({ type: "Ready", status: "False", reason: "ImageNotFound" });
    expect(events.list({ id: "m1" }).map((e) => e.spec?.reason)).toEqual(["ImageNotFound"]);
    backend.failWith = undefined;
    await machines.mutate("m1", (m) => ({
      spec: create(machine.MachineSpecSchema, { ...m.spec, power: machine.Power.OFF }),
    }));
    await reconciler.reconcile("m1", signal);
    expect(backend.applied).toHaveLength(2);
    expect(machines.get("m1")?.status.state).toBe(machine.MachineState.MACHINE_RUNNING);
  });

  it("shows TERMINATING, hands remove the placement, then drops the record", async () => {
    await createMachine("m1");
    await reconciler.reconcile("m1", signal);
    await machines.markDeleted("m1");
    const seen: machine.MachineState[] = [];
    machines.watch((e) => {
      if (e.type === "modified") seen.push(e.record.status.state);
    });
    await reconciler.reconcile("m1", signal);
    expect(seen).toContain(machine.MachineState.MACHINE_TERMINATING);
    expect(backend.removed[0]?.placement).toEqual({ dir: "/machines/m1" });
    expect(machines.get("m1")).toBeUndefined();
  });
});
