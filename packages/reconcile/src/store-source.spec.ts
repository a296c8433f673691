import type { Collection, StoredRecord, WatchEvent, WatchHandler } from "@iri/store";
import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { Controller } from "./controller.js";
import { storeSource } from "./store-source.js";

type Spec = { size: number };

/** The watch/list part of a store collection, driven by hand. */
class FakeCollection implements Pick<Collection<Spec, undefined>, "watch" | "list"> {
  readonly records = new Map<string, StoredRecord<Spec, undefined>>();
  readonly handlers = new Set<WatchHandler<Spec, undefined>>();

  put(id: string, generation = 1n): StoredRecord<Spec, undefined> {
    const record = {
      metadata: { id, generation, deletedAt: 0n },
      spec: { size: 1 },
      status: undefined,
    } as StoredRecord<Spec, undefined>;
    this.records.set(id, record);
    return record;
  }

  list(): StoredRecord<Spec, undefined>[] {
    return [...this.records.values()];
  }

  watch(handler: WatchHandler<Spec, undefined>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  emit(event: WatchEvent<Spec, undefined>): void {
    for (const handler of this.handlers) void handler(event);
  }
}

function recorder() {
  const enqueued: string[] = [];
  let all = 0;
  return {
    enqueued,
    allCount: () => all,
    enqueue: (key: string) => enqueued.push(key),
    enqueueAll: () => {
      all++;
    },
  };
}

describe("storeSource", () => {
  it("enqueues every stored id on start, then the id of each watch event", () => {
    const collection = new FakeCollection();
    collection.put("m1");
    collection.put("m2");
    const r = recorder();
    const stop = storeSource(collection).start(r.enqueue, r.enqueueAll);
    expect(r.enqueued).toEqual(["m1", "m2"]);

    collection.emit({ type: "added", record: collection.put("m3") });
    collection.emit({ type: "modified", previous: collection.put("m1"), record: collection.put("m1", 2n) });
    const gone = collection.put("m2");
    collection.records.delete("m2");
    collection.emit({ type: "deleted", record: gone });
    expect(r.enqueued).toEqual(["m1", "m2", "m3", "m1", "m2"]);
    expect(r.allCount()).toBe(0);

    stop();
    expect(collection.handlers.size).toBe(0);
    collection.emit({ type: "added", record: collection.put("m4") });
    expect(r.enqueued).toHaveLength(5);
  });

  it("on resync enqueues every stored id and asks for every controller key", () => {
    const collection = new FakeCollection();
    const r = recorder();
    storeSource(collection).start(r.enqueue, r.enqueueAll);
    collection.put("a");
    collection.put("b");
    collection.emit({ type: "resync" });
    expect(r.enqueued).toEqual(["a", "b"]);
    expect(r.allCount()).toBe(1);
  });

  it("watches before listing, so a record written in between is not missed", () => {
    const collection = new FakeCollection();
    const r = recorder();
    const racing = {
      watch: (handler: WatchHandler<Spec, undefined>) => collection.watch(handler),
      list: () => {
        // A write lands after the listing was taken: only the watch can report it.
        const listed = collection.list();
        collection.emit({ type: "added", record: collection.put("late") });
        return listed;
      },
    };
    storeSource(racing).start(r.enqueue, r.enqueueAll);
    expect(r.enqueued).toEqual(["late"]);
  });

  it("drives a controller: a restarted controller reconciles everything stored, then follows changes", async () => {
    const clock = new FakeClock();
    const collection = new FakeCollection();
    collection.put("m1");
    collection.put("m2");
    const reconciled: string[] = [];
    const controller = new Controller({
      name: "machines",
      clock,
      reconcile: async (id) => {
        reconciled.push(id);
      },
      listKeys: () => [...collection.records.keys(), "orphan"],
    });
    controller.addSource(storeSource(collection));
    controller.start();
    await clock.flush();
    expect(reconciled.sort()).toEqual(["m1", "m2"]);

    collection.emit({ type: "modified", previous: collection.put("m2"), record: collection.put("m2", 2n) });
    await clock.flush();
    collection.emit({ type: "resync" });
    await clock.flush();
    expect(reconciled.slice(2).sort()).toEqual(["m1", "m2", "m2", "orphan"]);
    await controller.stop();
    expect(collection.handlers.size).toBe(0);
  });

  it("ignores a modification that changed neither spec (generation) nor deletion nor labels", () => {
    const collection = new FakeCollection();
    const r = recorder();
    storeSource(collection).start(r.enqueue, r.enqueueAll);
    const before = collection.put("s1");
    collection.emit({ type: "modified", previous: before, record: collection.put("s1") });
    expect(r.enqueued).toEqual([]);
    collection.emit({ type: "modified", previous: before, record: collection.put("s1", 2n) });
    expect(r.enqueued).toEqual(["s1"]);
  });
});
