import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonCodec, openDatabase } from "@iri/store";
import { afterEach, describe, expect, it } from "vitest";
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
});
