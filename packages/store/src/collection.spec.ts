import { describe, expect, it } from "vitest";
import { jsonCodec } from "./codecs.js";
import { AlreadyExistsError, ConflictError, NotFoundError, StoreError } from "./errors.js";
import { machines, useTempDir } from "./testdata/helpers.js";
import type { Codec } from "./types.js";

const spec = { image: "debian", cpu: 2 };
const status = { state: "PENDING" };

describe("collection CRUD", () => {
  const temp = useTempDir();

  it("creates, reads and lists records with store-set metadata", async () => {
    const db = temp.open(undefined, () => 1_700_000_000_123_456_789n);
    const c = machines(db);
    const created = await c.create({
      id: "m1",
      labels: { app: "web" },
      annotations: { a: "1" },
      spec,
      status,
    });
    expect(created).toEqual({
      metadata: {
        id: "m1",
        labels: { app: "web" },
        annotations: { a: "1" },
        generation: 1n,
        createdAt: 1_700_000_000_123_456_789n,
        deletedAt: 0n,
        resourceVersion: 1n,
        finalizers: [],
      },
      spec,
      status,
    });
    expect(c.get("m1")).toBe(created);
    expect(c.get("nope")).toBeUndefined();
    expect(c.list()).toEqual([created]);
    expect(c.list({ id: "m1" })).toEqual([created]);
    expect(c.list({ id: "nope" })).toEqual([]);
    expect(c.count()).toBe(1);
  });

  it("refuses a taken id with AlreadyExistsError naming the kind and id", async () => {
    const c = machines(temp.open());
    await c.create({ id: "m1", spec, status });
    const error = await c.create({ id: "m1", spec, status }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "AlreadyExists", collection: "machines", id: "m1" });
    expect((error as Error).message).toBe('machine "m1" already exists');
  });

  it("does not let callers change stored records behind the store's back", async () => {
    const c = machines(temp.open());
    const input = { id: "m1", labels: { app: "web" }, spec: { ...spec }, status };
    const created = await c.create(input);
    input.labels.app = "changed";
    input.spec.cpu = 64;
    expect(created.metadata.labels.app).toBe("web");
    expect(created.spec.cpu).toBe(2);
    expect(() => {
      (created.spec as { cpu: number }).cpu = 3;
    }).toThrow(TypeError);
    expect(() => {
      (created.metadata.labels as Record<string, string>).x = "y";
    }).toThrow(TypeError);
  });

  it("updates at the current resourceVersion and refuses a stale one with ConflictError", async () => {
    const c = machines(temp.open());
    const v1 = await c.create({ id: "m1", spec, status });
    const v2 = await c.update("m1", v1.metadata.resourceVersion, { status: { state: "RUNNING" } });
    expect(v2.status).toEqual({ state: "RUNNING" });
    expect(v2.metadata.resourceVersion).toBeGreaterThan(v1.metadata.resourceVersion);

    const stale = await c.update("m1", v1.metadata.resourceVersion, { status }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale).toMatchObject({ code: "Conflict", collection: "machines", id: "m1" });
    expect(c.get("m1")).toBe(v2);

    const missing = await c.update("gone", 1n, { status }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('machine "gone" not found');
  });

  it("replaces only the parts given in an update", async () => {
    const c = machines(temp.open());
    const v1 = await c.create({ id: "m1", labels: { a: "1" }, annotations: { b: "2" }, spec, status });
    const v2 = await c.update("m1", v1.metadata.resourceVersion, { annotations: { c: "3" } });
    expect(v2.metadata.labels).toEqual({ a: "1" });
    expect(v2.metadata.annotations).toEqual({ c: "3" });
    expect(v2.spec).toEqual(spec);
    expect(v2.status).toEqual(status);
  });

  it("mutate retries on conflict, recomputing from what the other writer wrote", async () => {
    const c = machines(temp.open());
    await c.create({ id: "m1", spec, status: { state: "RUNNING", count: 0 } });
    let calls = 0;
    const increment = (current: { status: { state: string; count?: number } }) => {
      calls += 1;
      return { status: { ...current.status, count: (current.status.count ?? 0) + 1 } };
    };
    // Both read the same version; one of them must lose the first round and try again.
    const results = await Promise.all([c.mutate("m1", increment), c.mutate("m1", increment)]);
    expect(c.get("m1")?.status.count).toBe(2);
    expect(calls).toBe(3);
    expect(results.map((r) => r.status.count).sort()).toEqual([1, 2]);
  });

  it("mutate returning undefined writes nothing; on a missing record it rejects with NotFoundError", async () => {
    const c = machines(temp.open());
    const v1 = await c.create({ id: "m1", spec, status });
    expect(await c.mutate("m1", () => undefined)).toBe(v1);
    await expect(c.mutate("gone", () => ({ status }))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("bumps generation only when the encoded spec changes, resourceVersion on every write", async () => {
    const c = machines(temp.open());
    const v1 = await c.create({ id: "m1", spec, status });
    const v2 = await c.update("m1", v1.metadata.resourceVersion, { status: { state: "RUNNING" } });
    const v3 = await c.update("m1", v2.metadata.resourceVersion, { spec: { ...spec }, labels: { x: "y" } });
    const v4 = await c.update("m1", v3.metadata.resourceVersion, { spec: { ...spec, cpu: 4 } });
    const v5 = await c.update("m1", v4.metadata.resourceVersion, {});
    expect([v1, v2, v3, v4, v5].map((r) => r.metadata.generation)).toEqual([1n, 1n, 1n, 2n, 2n]);
    expect([v1, v2, v3, v4, v5].map((r) => r.metadata.resourceVersion)).toEqual([1n, 2n, 3n, 4n, 5n]);
  });
});

describe("collection listing", () => {
  const temp = useTempDir();

  it("lists in creation order, also after updates and with a selector", async () => {
    const c = machines(temp.open());
    await c.create({ id: "c", labels: { app: "web" }, spec, status });
    await Promise.all([
      c.create({ id: "a", labels: { app: "db" }, spec, status }),
      c.create({ id: "b", labels: { app: "web" }, spec, status }),
    ]);
    await c.create({ id: "0", labels: { app: "db" }, spec, status });
    const order = () => c.list().map((r) => r.metadata.id);
    expect(order()).toEqual(["c", "a", "b", "0"]);

    // Relabelling "c" puts it at the end of the index's set for app=db; the list must not follow that.
    await c.mutate("c", () => ({ labels: { app: "db" } }));
    await c.mutate("a", () => ({ status: { state: "RUNNING" } }));
    expect(order()).toEqual(["c", "a", "b", "0"]);
    expect(c.list({ labelSelector: { app: "db" } }).map((r) => r.metadata.id)).toEqual(["c", "a", "0"]);
    expect(c.list()).toEqual(c.list());
  });

  it("selects by labels through the index, including the empty-value case", async () => {
    const c = machines(temp.open());
    await Promise.all([
      c.create({ id: "m1", labels: { app: "web", tier: "" }, spec, status }),
      c.create({ id: "m2", labels: { app: "web", tier: "front" }, spec, status }),
      c.create({ id: "m3", labels: { app: "db" }, spec, status }),
    ]);
    const ids = (selector: Record<string, string>) =>
      c.list({ labelSelector: selector }).map((r) => r.metadata.id);
    expect(ids({})).toEqual(["m1", "m2", "m3"]);
    expect(ids({ app: "web" })).toEqual(["m1", "m2"]);
    expect(ids({ app: "web", tier: "front" })).toEqual(["m2"]);
    expect(ids({ tier: "" })).toEqual(["m1"]);
    expect(ids({ app: "" })).toEqual([]);
    expect(ids({ app: "web", zone: "a" })).toEqual([]);
    expect(c.list({ id: "m3", labelSelector: { app: "web" } })).toEqual([]);
    expect(c.list({ id: "m2", labelSelector: { app: "web" } }).map((r) => r.metadata.id)).toEqual(["m2"]);

    // The index follows relabelling and removal.
    await c.mutate("m1", () => ({ labels: { app: "db" } }));
    await c.forceRemove("m2");
    expect(ids({ app: "web" })).toEqual([]);
    expect(ids({ app: "db" })).toEqual(["m1", "m3"]);
    expect(ids({ tier: "" })).toEqual([]);
  });
});

describe("soft delete and finalizers", () => {
  const temp = useTempDir();

  it("keeps a deleted record with finalizers listed until the last finalizer goes", async () => {
    let now = 1000n;
    const c = machines(temp.open(undefined, () => now));
    await c.create({ id: "m1", finalizers: ["backend", "network"], spec, status });
    now = 2000n;
    const deleted = await c.markDeleted("m1");
    expect(deleted?.metadata.deletedAt).toBe(2000n);
    expect(c.list().map((r) => r.metadata.id)).toEqual(["m1"]);

    now = 3000n;
    const again = await c.markDeleted("m1");
    expect(again).toBe(deleted);

    await expect(c.create({ id: "m1", spec, status })).rejects.toBeInstanceOf(AlreadyExistsError);

    const unchanged = await c.removeFinalizer("m1", "unknown");
    expect(unchanged).toBe(deleted);
    const partly = await c.removeFinalizer("m1", "backend");
    expect(partly?.metadata.finalizers).toEqual(["network"]);
    expect(partly?.metadata.deletedAt).toBe(2000n);
    expect(await c.removeFinalizer("m1", "network")).toBeUndefined();
    expect(c.get("m1")).toBeUndefined();
    expect(c.count()).toBe(0);
    expect(await c.removeFinalizer("m1", "network")).toBeUndefined();

    // The id is free again.
    await c.create({ id: "m1", spec, status });
  });

  it("removes a record without finalizers at once", async () => {
    const c = machines(temp.open());
    await c.create({ id: "m1", spec, status });
    expect(await c.markDeleted("m1")).toBeUndefined();
    expect(c.get("m1")).toBeUndefined();
    const error = await c.markDeleted("m1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe('machine "m1" not found');
  });

  it("keeps a finalizer added before deletion, and an update that drops the last one removes the record", async () => {
    const c = machines(temp.open());
    const v1 = await c.create({ id: "m1", spec, status });
    const v2 = await c.update("m1", v1.metadata.resourceVersion, { finalizers: ["f"] });
    const v3 = await c.markDeleted("m1");
    expect(v3?.metadata.finalizers).toEqual(["f"]);
    const last = await c.update("m1", v3?.metadata.resourceVersion ?? 0n, {
      finalizers: [],
      status: { state: "TERMINATED" },
    });
    expect(last.metadata.finalizers).toEqual([]);
    expect(last.status).toEqual({ state: "TERMINATED" });
    expect(last.metadata.resourceVersion).toBeGreaterThan(v2.metadata.resourceVersion);
    expect(c.get("m1")).toBeUndefined();
  });

  it("forceRemove removes whatever the finalizers, and is a no-op for an unknown id", async () => {
    const c = machines(temp.open());
    await c.create({ id: "m1", finalizers: ["f"], spec, status });
    await c.forceRemove("m1");
    expect(c.get("m1")).toBeUndefined();
    await expect(c.forceRemove("m1")).resolves.toBeUndefined();
  });
});

describe("records held encoded", () => {
  const temp = useTempDir();

  it("decodes spec and status when read, not when written, and shares the decoded value while it is recent", async () => {
    const db = temp.open();
    const decoded: string[] = [];
    const counting = <T>(part: string, codec: Codec<T>): Codec<T> => ({
      encode: (value) => codec.encode(value),
      decode: (bytes) => {
        decoded.push(part);
        return codec.decode(bytes);
      },
    });
    const c = db.collection("counted", {
      spec: counting("spec", jsonCodec<typeof spec>()),
      status: counting("status", jsonCodec<typeof status>()),
    });
    const created = await c.create({ id: "m1", spec, status });
    await c.update("m1", created.metadata.resourceVersion, { status: { state: "RUNNING" } });
    expect(decoded).toEqual([]);

    const record = c.get("m1");
    const first = record?.spec;
    expect(first).toEqual(spec);
    expect(record?.spec).toBe(first);
    expect(decoded).toEqual(["spec"]);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(record)).toBe(true);
    // Spread and comparison see plain values; the bytes are not part of what a reader sees.
    expect(Object.keys(record ?? {})).toEqual(["metadata", "spec", "status"]);
    expect({ ...record }).toEqual({ metadata: record?.metadata, spec, status: { state: "RUNNING" } });
  });

  it("a write that leaves a part unchanged shares its decoded value with the next version", async () => {
    const db = temp.open();
    let specDecodes = 0;
    const codec = jsonCodec<typeof spec>();
    const c = db.collection("shared", {
      spec: {
        encode: (value: typeof spec) => codec.encode(value),
        decode: (bytes: Uint8Array) => {
          specDecodes += 1;
          return codec.decode(bytes);
        },
      },
      status: jsonCodec<typeof status>(),
    });
    const created = await c.create({ id: "m1", spec, status });
    const first = created.spec;
    const updated = await c.update("m1", created.metadata.resourceVersion, { status: { state: "RUNNING" } });
    expect(updated.spec).toBe(first);
    expect(specDecodes).toBe(1);
    // New spec bytes are a new part: decoded again, and equal to what was written.
    const changed = await c.update("m1", updated.metadata.resourceVersion, {
      spec: { ...spec, image: "other" },
    });
    expect(changed.spec).toEqual({ ...spec, image: "other" });
    expect(specDecodes).toBe(2);
  });
});
