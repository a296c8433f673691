import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  deferred,
  eventually,
  type MachineSpec,
  type MachineStatus,
  machines,
  useTempDir,
} from "./testdata/helpers.js";
import type { StoredRecord, WatchEvent } from "./types.js";
import { Watcher } from "./watcher.js";

const spec = { image: "debian", cpu: 2 };
const status = { state: "PENDING" };

type Event = WatchEvent<MachineSpec, MachineStatus>;
const describeEvent = (e: Event) => (e.type === "resync" ? "resync" : `${e.type} ${e.record.metadata.id}`);

/** The engine's gc, also when node runs without --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

describe("watch", () => {
  const temp = useTempDir();

  it("keeps no delivered event's record alive while it waits for more", async () => {
    const watcher = new Watcher<MachineSpec, MachineStatus>(
      () => undefined,
      () => undefined,
      undefined,
    );
    const delivered = (() => {
      const record = { metadata: { id: "a" }, spec, status } as unknown as StoredRecord<
        MachineSpec,
        MachineStatus
      >;
      watcher.push({ type: "added", record });
      return new WeakRef(record);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(delivered.deref()).toBeUndefined();
    watcher.stop();
  });

  it("delivers events in commit order, after the commit", async () => {
    const c = machines(temp.open());
    const seen: string[] = [];
    const inMemory: boolean[] = [];
    c.watch((event) => {
      if (event.type === "resync") return;
      seen.push(describeEvent(event));
      // The event comes after the commit: memory already shows what it reports.
      const current = c.get(event.record.metadata.id);
      inMemory.push(event.type === "deleted" ? current === undefined : current === event.record);
    });
    await c.create({ id: "a", spec, status });
    await Promise.all([
      c.create({ id: "b", finalizers: ["f"], spec, status }),
      c.mutate("a", () => ({ status: { state: "RUNNING" } })),
    ]);
    await c.markDeleted("b");
    await c.removeFinalizer("b", "f");
    await c.forceRemove("a");
    await eventually(() =>
      expect(seen).toEqual(["added a", "added b", "modified a", "modified b", "deleted b", "deleted a"]),
    );
    expect(inMemory).toEqual(seen.map(() => true));
  });

  it("hands a modified event the record as it was before the write", async () => {
    const c = machines(temp.open());
    const pairs: string[] = [];
    c.watch((event) => {
      if (event.type === "modified")
        pairs.push(`${event.previous.status.state}->${event.record.status.state}`);
    });
    await c.create({ id: "a", spec, status });
    await c.mutate("a", () => ({ status: { state: "RUNNING" } }));
    await c.mutate("a", () => ({ status: { state: "STOPPED" } }));
    await eventually(() => expect(pairs).toEqual(["PENDING->RUNNING", "RUNNING->STOPPED"]));
  });

  it("gives an async handler its next event only after the previous one settled", async () => {
    const c = machines(temp.open());
    const gate = deferred();
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    c.watch(async (event) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      seen.push(describeEvent(event));
      if (seen.length === 1) await gate.promise;
      running -= 1;
    });
    await c.create({ id: "a", spec, status });
    await c.create({ id: "b", spec, status });
    await eventually(() => expect(seen).toEqual(["added a"]));
    // Give delivery every chance to run ahead of the gate before checking that it did not.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["added a"]);
    gate.resolve();
    await eventually(() => expect(seen).toEqual(["added a", "added b"]));
    expect(maxRunning).toBe(1);
  });

  it("replaces a backlog beyond maxBacklog with one resync, then goes on", async () => {
    const c = machines(temp.open());
    const gate = deferred();
    const seen: string[] = [];
    c.watch(
      async (event) => {
        seen.push(describeEvent(event));
        if (seen.length === 1) await gate.promise;
      },
      { maxBacklog: 3 },
    );
    await c.create({ id: "first", spec, status });
    await eventually(() => expect(seen).toEqual(["added first"]));
    // Three events fill the backlog, the fourth overflows it, the fifth queues behind the resync.
    for (const id of ["b1", "b2", "b3", "b4"]) await c.create({ id, spec, status });
    await c.create({ id: "after", spec, status });
    gate.resolve();
    await eventually(() => expect(seen).toEqual(["added first", "resync", "added after"]));
  });

  it("keeps delivering and keeps the store working when a handler throws", async () => {
    const c = machines(temp.open());
    const errors: unknown[] = [];
    const failing: string[] = [];
    const healthy: string[] = [];
    c.watch(
      (event) => {
        failing.push(describeEvent(event));
        if (failing.length === 1) throw new Error("sync boom");
        if (failing.length === 2) return Promise.reject(new Error("async boom"));
      },
      { onError: (error) => errors.push(error) },
    );
    c.watch((event) => {
      healthy.push(describeEvent(event));
    });
    for (const id of ["a", "b", "c"]) await c.create({ id, spec, status });
    const expected = ["added a", "added b", "added c"];
    await eventually(() => {
      expect(failing).toEqual(expected);
      expect(healthy).toEqual(expected);
    });
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync boom", "async boom"]);
    expect(c.count()).toBe(3);
  });

  it("stops delivering after unsubscribe", async () => {
    const c = machines(temp.open());
    const seen: string[] = [];
    const stop = c.watch((event) => {
      seen.push(describeEvent(event));
    });
    await c.create({ id: "a", spec, status });
    await eventually(() => expect(seen).toEqual(["added a"]));
    stop();
    await c.create({ id: "b", spec, status });
    // A watcher that saw "b" would have it by now: the second watcher below gets it after the first would.
    const later: string[] = [];
    c.watch((event) => {
      later.push(describeEvent(event));
    });
    await c.create({ id: "c", spec, status });
    await eventually(() => expect(later).toEqual(["added c"]));
    expect(seen).toEqual(["added a"]);
  });
});
