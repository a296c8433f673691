import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import { type Database, jsonCodec, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventRecorder, type InvolvedObject, type RecordedEvent } from "./events.js";
import { ProviderMetrics } from "./metrics.js";
import { captureLogger, tempDir } from "./testdata/harness.js";

const T0 = Date.UTC(2026, 0, 1); // a whole second, in ms
const eventCodecs = { spec: jsonCodec<unknown>(), status: jsonCodec<unknown>() };

/** Shaped like a store record's metadata, which is what the reconcilers pass. */
function involved(id: string, labels: Record<string, string> = {}): InvolvedObject {
  const metadata = {
    id,
    labels,
    annotations: { note: "n", big: "a".repeat(200_000) },
    createdAt: 1_700_000_000_000_000_000n,
    deletedAt: 0n,
    generation: 3n,
  };
  return metadata;
}

function ev(id: string, reason: string, labels: Record<string, string> = {}): RecordedEvent {
  return {
    involved: involved(id, labels),
    type: "Normal",
    reason,
    action: "Reconcile",
    message: `${reason} happened`,
  };
}

let dir: ReturnType<typeof tempDir>;
let db: Database;
let now: number;
const log = captureLogger();

beforeEach(() => {
  dir = tempDir();
  db = openDatabase({ path: join(dir.path, "store.db") });
  now = T0;
});

afterEach(async () => {
  await db.close();
  dir.remove();
});

function recorder(
  options: { maxEvents?: number; ttlMs?: number; maxBytes?: number; metrics?: ProviderMetrics } = {},
) {
  return new EventRecorder({ db, logger: log.logger, now: () => now, ...options });
}

const reasons = (r: EventRecorder, filter?: Parameters<EventRecorder["list"]>[0]) =>
  r.list(filter).map((e) => e.spec?.reason);

describe("EventRecorder", () => {
  it("lists events as IRI messages with the involved id and labels and the time in Unix seconds", () => {
    const r = recorder();
    now = T0 + 1999;
    r.record({ ...ev("m1", "Pulled", { "machine-uid": "u1" }), type: "Warning" });
    const [e] = r.list();
    expect(e?.spec).toBeDefined();
    expect(e?.spec?.involvedObjectMeta).toMatchObject({ id: "m1", labels: { "machine-uid": "u1" } });
    expect(e?.spec).toMatchObject({
      reason: "Pulled",
      type: "Warning",
      action: "Reconcile",
      message: "Pulled happened",
      eventTime: BigInt(T0 / 1000 + 1),
    });
  });

  it("never carries the involved object's annotations, neither listed nor persisted", async () => {
    const r = recorder();
    r.record(ev("m1", "Pulled"));
    expect(r.list()[0]?.spec?.involvedObjectMeta?.annotations).toEqual({});
    expect(r.bytes).toBeLessThan(200);
    await r.close();
    await db.close();
    db = openDatabase({ path: join(dir.path, "store.db") });
    const persisted = db.collection("events", eventCodecs).list();
    expect(persisted).toHaveLength(1);
    expect(JSON.stringify(persisted[0]?.spec)).not.toContain("annotations");
  });

  it("keeps the encoded events under maxBytes, dropping the oldest first, and counts the drops", () => {
    const metrics = new ProviderMetrics({ processMetrics: false });
    const r = recorder({ maxBytes: 10_000, metrics });
    const labels = { "machinepoollet.ironcore.dev/machine-uid": "u".repeat(900) };
    for (let i = 0; i < 20; i++) r.record(ev("m1", `r${i}`, labels));
    const listed = reasons(r);
    expect(listed.at(-1)).toBe("r19");
    expect(listed[0]).not.toBe("r0");
    const listBytes = toBinary(
      bucket.ListEventsResponseSchema,
      create(bucket.ListEventsResponseSchema, { events: r.list() }),
    );
    const bytes = listBytes.length;
    expect(bytes).toBeLessThanOrEqual(10_000);
    expect(r.bytes).toBe(bytes);
    return metrics.text().then((text) => {
      expect(text).toContain(`iri_events_dropped_total{reason="bytes"} ${20 - listed.length}`);
      expect(text).toContain(`iri_events_bytes ${bytes}`);
    });
  });

  it("cuts a very long message", () => {
    const r = recorder();
    r.record({ ...ev("m1", "Failed"), message: "x".repeat(100_000) });
    expect(r.list()[0]?.spec?.message.length).toBe(1024);
  });

  it("copies the involved metadata when recording", () => {
    const r = recorder();
    const labels = { a: "1" };
    r.record(ev("m1", "One", labels));
    labels.a = "changed";
    expect(r.list()[0]?.spec?.involvedObjectMeta?.labels).toEqual({ a: "1" });
  });

  it("keeps at most maxEvents, dropping the oldest, also after a restart", async () => {
    const r = recorder({ maxEvents: 3 });
    for (const reason of ["r1", "r2", "r3", "r4", "r5"]) r.record(ev("m1", reason));
    expect(reasons(r)).toEqual(["r3", "r4", "r5"]);
    await r.close();
    await db.close();
    db = openDatabase({ path: join(dir.path, "store.db") });
    expect(reasons(recorder({ maxEvents: 10 }))).toEqual(["r3", "r4", "r5"]);
  });

  it("drops events older than the TTL", () => {
    const r = recorder({ ttlMs: 1000 });
    r.record(ev("m1", "early"));
    now = T0 + 500;
    r.record(ev("m1", "later"));
    now = T0 + 1000;
    expect(reasons(r)).toEqual(["early", "later"]);
    now = T0 + 1001;
    expect(reasons(r)).toEqual(["later"]);
    now = T0 + 1501;
    expect(reasons(r)).toEqual([]);
    expect(r.size).toBe(0);
  });

  it("drops expired events even when the clock stepped back between them", () => {
    const r = recorder({ ttlMs: 1000 });
    now = T0 + 500;
    r.record(ev("m1", "first"));
    now = T0;
    r.record(ev("m1", "stepped-back"));
    now = T0 + 1200;
    expect(reasons(r)).toEqual(["first"]);
  });

  it("filters by exact involved id", () => {
    const r = recorder();
    r.record(ev("m1", "a"));
    r.record(ev("m10", "b"));
    expect(reasons(r, { id: "m1" })).toEqual(["a"]);
    expect(reasons(r, { id: "unknown" })).toEqual([]);
    expect(reasons(r, { id: "" })).toEqual(["a", "b"]);
  });

  it("filters by label selector with equality-set semantics", () => {
    const r = recorder();
    r.record(ev("m1", "a", { uid: "1", name: "x" }));
    r.record(ev("m2", "b", { uid: "2", name: "x" }));
    r.record(ev("m3", "c", { uid: "" }));
    expect(reasons(r, { labelSelector: { name: "x" } })).toEqual(["a", "b"]);
    expect(reasons(r, { labelSelector: { name: "x", uid: "2" } })).toEqual(["b"]);
    expect(reasons(r, { labelSelector: { uid: "" } })).toEqual(["c"]);
    expect(reasons(r, { labelSelector: { missing: "" } })).toEqual([]);
    expect(reasons(r, { labelSelector: {} })).toEqual(["a", "b", "c"]);
  });

  it("applies the time window inclusively, and only when both bounds are > 0", () => {
    const r = recorder({ ttlMs: 10_000_000 });
    const s0 = T0 / 1000;
    for (const [offset, reason] of [
      [100, "at100"],
      [200, "at200"],
      [300, "at300"],
    ] as const) {
      now = T0 + offset * 1000 + 999;
      r.record(ev("m1", reason));
    }
    expect(reasons(r, { fromSeconds: s0 + 200, toSeconds: s0 + 300 })).toEqual(["at200", "at300"]);
    expect(reasons(r, { fromSeconds: BigInt(s0 + 100), toSeconds: BigInt(s0 + 100) })).toEqual(["at100"]);
    expect(reasons(r, { fromSeconds: s0 + 201, toSeconds: s0 + 299 })).toEqual([]);
    expect(reasons(r, { fromSeconds: 0, toSeconds: s0 + 150 })).toEqual(["at100", "at200", "at300"]);
    expect(reasons(r, { fromSeconds: s0 + 250, toSeconds: 0n })).toEqual(["at100", "at200", "at300"]);
  });

  it("keeps events and their order across a reopen of the database", async () => {
    const r = recorder();
    r.record(ev("m1", "before-1", { uid: "1" }));
    r.record(ev("m2", "before-2"));
    await r.close();
    await db.close();
    db = openDatabase({ path: join(dir.path, "store.db") });
    const reopened = recorder();
    reopened.record(ev("m3", "after"));
    expect(reasons(reopened)).toEqual(["before-1", "before-2", "after"]);
    expect(reopened.list({ labelSelector: { uid: "1" } })[0]?.spec?.involvedObjectMeta?.id).toBe("m1");
  });

  it("never throws from record when persisting fails, and still lists the event", async () => {
    const failing = captureLogger();
    const broken = {
      collection: () => ({
        list: () => [],
        create: () => Promise.reject(new Error("disk full")),
        forceRemove: () => Promise.resolve(),
      }),
    } as unknown as Database;
    const r = new EventRecorder({ db: broken, logger: failing.logger });
    expect(() => r.record(ev("m1", "kept"))).not.toThrow();
    await r.flush();
    expect(reasons(r)).toEqual(["kept"]);
    expect(failing.text()).toContain("event not persisted");
  });
});
