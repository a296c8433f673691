import { chmodSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { jsonCodec } from "./codecs.js";
import { openDatabase } from "./database.js";
import { AlreadyExistsError, NotFoundError, StoreError } from "./errors.js";
import { machines, useTempDir } from "./testdata/helpers.js";
import type { SqliteDatabase } from "./types.js";

const spec = { image: "debian", cpu: 2 };
const status = { state: "PENDING" };

/** The connection inside the database, for injecting faults the public API cannot cause. */
function connectionOf(db: SqliteDatabase): BetterSqlite3.Database {
  return (db as unknown as { file: { db: BetterSqlite3.Database } }).file.db;
}

interface FileSyncs {
  syncLog(): Promise<void>;
  checkpoint(): Promise<void>;
}

/** The database's file, for holding or failing its fsyncs (a disk fault a test cannot cause). */
function fileOf(db: SqliteDatabase): FileSyncs {
  return (db as unknown as { file: FileSyncs }).file;
}

describe("group commit", () => {
  const temp = useTempDir();

  it("commits writes issued together in one transaction and settles them in order", async () => {
    const db = temp.open();
    const c = machines(db);
    const settled: number[] = [];
    const writes = Array.from({ length: 1000 }, (_, i) =>
      c.create({ id: `m${i}`, spec, status }).then(() => settled.push(i)),
    );
    await Promise.all(writes);
    expect(db.stats()).toMatchObject({ commits: 1, writes: 1000 });
    expect(settled).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(c.count()).toBe(1000);
  });

  it("cuts a large burst into transactions of at most 1,000 writes, keeping the order", async () => {
    const db = temp.open();
    const c = machines(db);
    const settled: number[] = [];
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) =>
        c.create({ id: `m${i}`, spec, status }).then(() => settled.push(i)),
      ),
    );
    expect(db.stats()).toMatchObject({ commits: 3, writes: 2500 });
    expect(settled).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(c.list().map((r) => r.metadata.resourceVersion)).toEqual(
      Array.from({ length: 2500 }, (_, i) => BigInt(i + 1)),
    );
  });

  it("settles a commit's writes a slice per loop turn, so that other callbacks run in between", async () => {
    const db = temp.open();
    const c = machines(db);
    let settled = 0;
    let settledWhenOtherWorkRan: number | undefined;
    const writes = Array.from({ length: 40 }, (_, i) =>
      c.create({ id: `m${i}`, spec, status }).then(() => {
        settled += 1;
        // Queued by the first continuation: runs at the next turn, not after the whole commit.
        if (i === 0) setImmediate(() => (settledWhenOtherWorkRan = settled));
      }),
    );
    await Promise.all(writes);
    expect(db.stats()).toMatchObject({ commits: 1, writes: 40 });
    expect(settledWhenOtherWorkRan).toBeGreaterThan(0);
    expect(settledWhenOtherWorkRan).toBeLessThan(40);
  });

  it("fails only the refused writes of a batch", async () => {
    const db = temp.open();
    const c = machines(db);
    const results = await Promise.allSettled([
      c.create({ id: "a", spec, status }),
      c.create({ id: "a", spec, status }),
      c.update("missing", 1n, { status }),
      c.create({ id: "b", spec, status }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyExistsError);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect(db.stats()).toMatchObject({ commits: 1, writes: 2 });
    expect(c.list().map((r) => r.metadata.id)).toEqual(["a", "b"]);
  });

  it("sees earlier writes of the same batch: create then update at the create's version", async () => {
    const c = machines(temp.open());
    const created = c.create({ id: "a", spec, status });
    // resourceVersion 1 is what the create above will get: both run in one transaction, in order.
    const updated = c.update("a", 1n, { status: { state: "RUNNING" } });
    await expect(created).resolves.toMatchObject({ metadata: { resourceVersion: 1n } });
    await expect(updated).resolves.toMatchObject({ metadata: { resourceVersion: 2n } });
  });

  it("rejects every write of a failed commit and leaves memory and the version counter unchanged", async () => {
    const path = temp.path();
    const db = temp.open(path);
    const c = machines(db);
    await c.create({ id: "kept", spec, status });
    const sqlite = connectionOf(db);
    sqlite.exec(`CREATE TRIGGER fail BEFORE INSERT ON records WHEN NEW.id = 'boom'
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const seen: string[] = [];
    c.watch((event) => {
      seen.push(event.type);
    });

    const results = await Promise.allSettled([
      c.create({ id: "innocent", spec, status }),
      c.mutate("kept", () => ({ status: { state: "RUNNING" } })),
      c.create({ id: "boom", spec, status }),
      c.create({ id: "kept", spec, status }),
    ]);
    const reasons = results.map((r) => (r.status === "rejected" ? r.reason : undefined));
    expect(reasons[0]).toBeInstanceOf(StoreError);
    expect(reasons[0]).toMatchObject({ code: "Unavailable" });
    expect((reasons[0] as Error).message).toMatch(/injected failure/);
    expect(reasons[1]).toBe(reasons[0]);
    expect(reasons[2]).toBe(reasons[0]);
    // A write refused on its own merits keeps its own error.
    expect(reasons[3]).toBeInstanceOf(AlreadyExistsError);

    expect(c.list().map((r) => r.metadata.id)).toEqual(["kept"]);
    expect(c.get("kept")?.status).toEqual(status);
    expect(seen).toEqual([]);

    sqlite.exec("DROP TRIGGER fail");
    const next = await c.create({ id: "innocent", spec, status });
    expect(next.metadata.resourceVersion).toBe(2n);
    await db.close();

    const reopened = machines(temp.open(path));
    expect(reopened.list().map((r) => [r.metadata.id, r.metadata.resourceVersion])).toEqual([
      ["kept", 1n],
      ["innocent", 2n],
    ]);
  });
});

describe("persistence", () => {
  const temp = useTempDir();

  it("restores every record, the creation order and the version counter after reopening", async () => {
    const path = temp.path();
    let now = 1_700_000_000_000_000_001n;
    const db = temp.open(path, () => now);
    const c = machines(db);
    await Promise.all([
      c.create({ id: "z", labels: { app: "web", tier: "" }, spec: { ...spec, memory: 2n ** 62n }, status }),
      c.create({ id: "a", annotations: { note: "x" }, finalizers: ["f"], spec, status }),
      c.create({ id: "gone", spec, status }),
    ]);
    now += 5n;
    await c.mutate("z", () => ({ spec: { ...spec, cpu: 8 } }));
    await c.markDeleted("a");
    await c.forceRemove("gone");
    const before = c.list();
    // The last write removed a record: the counter must come from its own row, not from the records.
    const lastVersion = 6n;
    await db.close();

    const reopened = temp.open(path);
    const statementsBefore = reopened.stats().statements;
    const r = machines(reopened);
    // One query loads the whole collection.
    expect(reopened.stats().statements - statementsBefore).toBe(1);
    expect(r.list()).toEqual(before);
    expect(r.get("z")?.metadata).toMatchObject({ generation: 2n, createdAt: 1_700_000_000_000_000_001n });
    expect(r.get("a")?.metadata.deletedAt).toBe(1_700_000_000_000_000_006n);
    const next = await r.create({ id: "new", spec, status });
    expect(next.metadata.resourceVersion).toBe(lastVersion + 1n);
    expect(r.list({ labelSelector: { tier: "" } }).map((x) => x.metadata.id)).toEqual(["z"]);
  });

  it("writes a commit into the WAL and fsyncs it off the event loop before anything sees the write", async () => {
    const db = temp.open();
    const c = machines(db);
    const sqlite = connectionOf(db);
    expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    // 0 = OFF: SQLite never waits for the disk; the store's own fdatasync of the WAL (and of the database at
    // its checkpoints) does, off the event loop.
    expect(sqlite.pragma("synchronous", { simple: true })).toBe(0);
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const file = fileOf(db);
    const syncLog = file.syncLog.bind(file);
    let syncs = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    file.syncLog = async () => {
      syncs += 1;
      await held;
      return syncLog();
    };
    let acknowledged = false;
    const writes = Promise.all([
      c.create({ id: "a", spec, status }),
      c.create({ id: "b", spec, status }),
    ]).then(() => {
      acknowledged = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The loop turned (the timer fired) while the commit waited for its fsync; memory does not show it yet.
    expect(syncs).toBe(1);
    expect(acknowledged).toBe(false);
    expect(c.count()).toBe(0);
    // A write issued meanwhile waits for the next group commit, planned against the first one's result.
    const third = c.create({ id: "a", spec, status });
    release();
    await writes;
    await expect(third).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(c.count()).toBe(2);
    expect(db.stats()).toMatchObject({ commits: 1, writes: 2 });
  });

  it("checkpoints every 32 commits and starts the next commit only once the database is synced", async () => {
    const db = temp.open();
    const c = machines(db);
    const file = fileOf(db);
    const checkpoint = file.checkpoint.bind(file);
    let checkpoints = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    file.checkpoint = () => {
      checkpoints += 1;
      const done = checkpoint();
      return held.then(() => done);
    };
    for (let i = 0; i < 32; i++) await c.create({ id: `m${i}`, spec, status });
    expect(checkpoints).toBe(1);
    let acknowledged = false;
    const next = c.create({ id: "after", spec, status }).then(() => {
      acknowledged = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acknowledged).toBe(false);
    expect(db.stats().commits).toBe(32);
    release();
    await next;
    expect(c.count()).toBe(33);
  });

  it("refuses every write after a failed fsync and keeps memory as it was", async () => {
    const path = temp.path();
    const db = temp.open(path);
    const c = machines(db);
    await c.create({ id: "kept", spec, status });
    const file = fileOf(db);
    const syncLog = file.syncLog.bind(file);
    // A disk error on fsync cannot be caused on demand in a test: the only mocked fault.
    file.syncLog = () => Promise.reject(new Error("EIO: i/o error, fdatasync"));
    const failed = c.create({ id: "lost", spec, status });
    await expect(failed).rejects.toMatchObject({ code: "Unavailable", message: /could not be synced.*EIO/ });
    expect(c.list().map((r) => r.metadata.id)).toEqual(["kept"]);
    file.syncLog = syncLog;
    await expect(c.create({ id: "later", spec, status })).rejects.toMatchObject({ code: "Unavailable" });
    expect(c.count()).toBe(1);
  });

  it("keeps collections apart", async () => {
    const db = temp.open();
    const m = machines(db);
    const v = db.collection("volumes", { spec: jsonCodec<string>(), status: jsonCodec<number>() });
    await Promise.all([m.create({ id: "x", spec, status }), v.create({ id: "x", spec: "s", status: 1 })]);
    expect(m.get("x")?.spec).toEqual(spec);
    expect(v.get("x")?.spec).toBe("s");
    await m.forceRemove("x");
    expect(v.count()).toBe(1);
    // The version counter is store-wide.
    expect(v.get("x")?.metadata.resourceVersion).toBe(2n);
  });

  it("creates the directory 0700 and the file 0600, and tightens an existing file", async () => {
    const path = join(dirname(temp.path()), "nested", "deeper", "store.db");
    const db = temp.open(path);
    await machines(db).create({ id: "m", spec, status });
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await db.close();

    const loose = temp.path();
    writeFileSync(loose, "");
    chmodSync(loose, 0o644);
    temp.open(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o600);
  });

  it("refuses a second opener of the same file until the first closes", async () => {
    const path = temp.path();
    const db = temp.open(path);
    expect(() => openDatabase({ path })).toThrow(/in use by another process/);
    await db.close();
    const again = temp.open(path);
    expect(machines(again).count()).toBe(0);
  });

  it("refuses to open one collection twice", () => {
    const db = temp.open();
    machines(db);
    expect(() => machines(db)).toThrow(/already open/);
  });
});

describe("close", () => {
  const temp = useTempDir();

  it("waits for pending writes, including mutate retries, then refuses writes and keeps reads", async () => {
    const path = temp.path();
    const db = temp.open(path);
    const c = machines(db);
    await c.create({ id: "m", spec, status: { state: "RUNNING", count: 0 } });
    const add = (current: { status: { state: string; count?: number } }) => ({
      status: { ...current.status, count: (current.status.count ?? 0) + 1 },
    });
    const pending = [c.create({ id: "late", spec, status }), c.mutate("m", add), c.mutate("m", add)];
    await db.close();
    // Everything issued before close had settled by the time close resolved.
    const states = await Promise.race([
      Promise.allSettled(pending),
      new Promise((resolve) => setImmediate(() => resolve("still pending"))),
    ]);
    expect(states).toEqual(pending.map(() => expect.objectContaining({ status: "fulfilled" })));
    await expect(c.create({ id: "after", spec, status })).rejects.toThrow(/closed/);
    expect(c.get("m")?.status.count).toBe(2);

    const reopened = machines(temp.open(path));
    expect(reopened.get("m")?.status.count).toBe(2);
    expect(reopened.get("late")).toBeDefined();
  });
});

describe("reads", () => {
  const temp = useTempDir();

  it("lists 10,000 records from memory without running a statement", async () => {
    const path = temp.path();
    const db = temp.open(path);
    const c = machines(db);
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        c.create({ id: `m${i}`, labels: { shard: String(i % 100) }, spec, status }),
      ),
    );
    await db.close();

    const reopened = temp.open(path);
    const r = machines(reopened);
    const statements = reopened.stats().statements;
    const all = r.list();
    expect(all).toHaveLength(10_000);
    expect(all[9999]?.metadata.id).toBe("m9999");
    expect(r.list({ labelSelector: { shard: "7" } })).toHaveLength(100);
    expect(r.get("m5000")?.metadata.labels).toEqual({ shard: "0" });
    expect(r.count()).toBe(10_000);
    expect(reopened.stats().statements).toBe(statements);
  }, 20_000);
});
