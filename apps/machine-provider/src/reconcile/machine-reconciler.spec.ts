import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { type MachineBackend, type MachineIntent, PermanentBackendError } from "@iri/backend-api";
import { TerminalError } from "@iri/reconcile";
import { createLogger, EventRecorder } from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKEND_FINALIZER, type MachineCollection, openMachineCollection } from "../machine-store.js";
import { machineReconciler } from "./machine-reconciler.js";

class FakeBackend implements MachineBackend {
  readonly name = "fake";
  applied: MachineIntent[] = [];
  removed: string[] = [];
  failWith: Error | undefined;
  async apply(intent: MachineIntent) {
    if (this.failWith) throw this.failWith;
    this.applied.push(intent);
    return {
      state: machine.MachineState.MACHINE_RUNNING,
      volumes: [],
      networkInterfaces: [
        create(machine.NetworkInterfaceStatusSchema, { name: "eth0", handle: "tap0", state: 1 }),
      ],
    };
  }
  async remove(id: string) {
    this.removed.push(id);
  }
  async listOwned() {
    return [];
  }
  async hostCapacity() {
    return { cpus: 2, memoryBytes: 1n << 33n };
  }
  async close() {}
}

let dir: string;
let db: Database;
let machines: MachineCollection;
let events: EventRecorder;
let backend: FakeBackend;
let reconcile: ReturnType<typeof machineReconciler>;
const signal = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "machine-reconciler-"));
  db = openDatabase({ path: join(dir, "db") });
  machines = openMachineCollection(db);
  events = new EventRecorder({ db, logger: createLogger({ level: "silent" }) });
  backend = new FakeBackend();
  reconcile = machineReconciler({ machines, backend, events });
});

afterEach(async () => {
  await events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function createMachine(id: string) {
  return machines.create({
    id,
    labels: { app: "x" },
    finalizers: [BACKEND_FINALIZER],
    spec: create(machine.MachineSpecSchema, { class: "c", power: machine.Power.ON }),
    status: create(machine.MachineStatusSchema, {}),
  });
}

describe("machineReconciler", () => {
  it("writes what the backend observed, with the generation it realised, and records the transition", async () => {
    await createMachine("m1");
    await reconcile("m1", signal);
    const m = machines.get("m1");
    expect(m?.status.state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(m?.status.observedGeneration).toBe(m?.metadata.generation);
    expect(m?.status.networkInterfaces.map((n) => n.handle)).toEqual(["tap0"]);
    expect(events.list({ id: "m1" }).map((e) => e.spec?.reason)).toEqual(["Running"]);
  });

  it("does not rewrite an unchanged status (Lists stay byte-identical)", async () => {
    await createMachine("m1");
    await reconcile("m1", signal);
    const before = machines.get("m1")?.metadata.resourceVersion;
    await reconcile("m1", signal);
    expect(machines.get("m1")?.metadata.resourceVersion).toBe(before);
    expect(events.list({ id: "m1" })).toHaveLength(1);
  });

  it("turns a permanent backend failure into a Warning event and a terminal error", async () => {
    await createMachine("m1");
    backend.failWith = new PermanentBackendError("ImagePullFailed", "image example/os:1 does not exist");
    await expect(reconcile("m1", signal)).rejects.toBeInstanceOf(TerminalError);
    const [ev] = events.list({ id: "m1" });
    expect(ev?.spec?.type).toBe("Warning");
    expect(ev?.spec?.reason).toBe("ImagePullFailed");
  });

  it("lets a transient backend failure through for a retry", async () => {
    await createMachine("m1");
    backend.failWith = new Error("qmp socket not ready");
    await expect(reconcile("m1", signal)).rejects.toThrow("qmp socket not ready");
  });

  it("tears a deleted machine down through TERMINATING, then drops the record", async () => {
    await createMachine("m1");
    await reconcile("m1", signal);
    await machines.markDeleted("m1");
    const states: machine.MachineState[] = [];
    machines.watch((e) => {
      if (e.type === "modified") states.push(e.record.status.state);
    });
    await reconcile("m1", signal);
    expect(states).toContain(machine.MachineState.MACHINE_TERMINATING);
    expect(backend.removed).toEqual(["m1"]);
    expect(machines.get("m1")).toBeUndefined();
  });

  it("does nothing for an id that is gone", async () => {
    await expect(reconcile("nope", signal)).resolves.toBeUndefined();
    expect(backend.applied).toEqual([]);
  });
});
