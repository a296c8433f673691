import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonCodec, openDatabase } from "@iri/store";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { Controller } from "./controller.js";
import { storeSource } from "./store-source.js";

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("storeSource on a real store", () => {
  it("reconciles stored records on start, then each write, and everything again after a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reconcile-store-"));
    dirs.push(dir);
    const db = openDatabase({ path: join(dir, "state.db") });
    const machines = db.collection<{ cpus: number }, { state: string }>("machines", {
      spec: jsonCodec(),
      status: jsonCodec(),
    });
    await machines.create({ id: "m1", spec: { cpus: 1 }, status: { state: "pending" } });

    const seen: string[] = [];
    const run = () => {
      const controller = new Controller({
        name: "machines",
        reconcile: async (id) => {
          seen.push(`${id}:${machines.get(id) ? "present" : "gone"}`);
        },
      });
      controller.addSource(storeSource(machines));
      controller.start();
      return controller;
    };

    const first = run();
    await until(() => seen.includes("m1:present"), "m1 on start");
    await machines.create({ id: "m2", spec: { cpus: 2 }, status: { state: "pending" } });
    await until(() => seen.includes("m2:present"), "m2 on create");
    await machines.markDeleted("m1");
    await until(() => seen.includes("m1:gone"), "m1 on delete");
    await first.stop();

    seen.length = 0;
    const second = run();
    await until(() => seen.includes("m2:present"), "m2 after restart");
    await second.stop();
    expect(seen).toEqual(["m2:present"]);
    await db.close();
  });

  it("does not re-run a reconciler for its own status writes, and honours the delay it asks for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reconcile-store-"));
    dirs.push(dir);
    const db = openDatabase({ path: join(dir, "state.db") });
    const machines = db.collection<{ cpus: number }, { progress: number }>("machines", {
      spec: jsonCodec(),
      status: jsonCodec(),
    });
    const clock = new FakeClock();
    let applies = 0;
    const controller = new Controller({
      name: "machines",
      clock,
      // An observation that changes on every call (progress), written back, with a polling delay.
      reconcile: async (id) => {
        applies += 1;
        await machines.mutate(id, (m) => ({ status: { progress: m.status.progress + 1 } }));
        return { requeueAfterMs: 5_000 };
      },
    });
    controller.addSource(storeSource(machines));
    controller.start();
    // Watching after the source did, this sees the status write's event after the source was handed it.
    let statusWriteSeen!: () => void;
    const statusWritten = new Promise<void>((resolve) => {
      statusWriteSeen = resolve;
    });
    const stopWatching = machines.watch((event) => {
      if (event.type === "modified" && event.record.status.progress === 1) statusWriteSeen();
    });
    await machines.create({ id: "m1", spec: { cpus: 1 }, status: { progress: 0 } });
    await statusWritten;
    // A reconcile the event started would have counted its apply before its first await.
    await clock.flush();
    stopWatching();
    expect(applies).toBe(1);
    await clock.advance(5_000);
    await until(() => applies === 2, "the requeue after 5 s");
    // A spec change is a change: it is reconciled at once, without waiting for the delay.
    await machines.mutate("m1", () => ({ spec: { cpus: 2 } }));
    await until(() => applies === 3, "the spec change");
    await controller.stop();
    expect(machines.get("m1")?.status.progress).toBe(3);
    await db.close();
  });
});
