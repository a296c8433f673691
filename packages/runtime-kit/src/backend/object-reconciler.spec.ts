import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ApplyOutcome,
  BackendUnavailableError,
  type ObjectRef,
  type OperationContext,
  PermanentBackendError,
  type RemoveOutcome,
} from "@iri/backend-api";
import { type Collection, jsonCodec, openDatabase, type SqliteDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventRecorder } from "../events.js";
import { createLogger } from "../logging.js";
import { openBackendState } from "./backend-state.js";
import { type ObjectReconciler, objectReconciler } from "./object-reconciler.js";

type Spec = { size: number };
type Status = { state: string; progress?: number };
type Obs = { state: string; progress?: number };

const FINALIZER = "test/backend";
let dir: string;
let db: SqliteDatabase;
let things: Collection<Spec, Status>;
let events: EventRecorder;
let clock: number;
let applyImpl: (ctx: OperationContext<Obs>) => Promise<ApplyOutcome<Obs>>;
let removeImpl: (ref: ObjectRef) => Promise<RemoveOutcome>;
let applies: number;
let removed: ObjectRef[];
let r: ObjectReconciler;
const signal = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "object-reconciler-"));
  db = openDatabase({ path: join(dir, "db") });
  things = db.collection("thing", { spec: jsonCodec<Spec>(), status: jsonCodec<Status>() });
  const logger = createLogger({ level: "silent" });
  events = new EventRecorder({ db, logger });
  clock = 1_000_000;
  applies = 0;
  removed = [];
  applyImpl = async () => ({ observation: { state: "Ready" }, placement: { pool: "a" } });
  removeImpl = async () => undefined;
  r = objectReconciler<Spec, Status, Obs>({
    kind: "thing",
    collection: things,
    states: openBackendState(db, "thing"),
    finalizer: FINALIZER,
    events,
    logger,
    nextTag: async () => ({ lineage: "test", generation: 1 }),
    apply: (_record, ctx) => {
      applies += 1;
      return applyImpl(ctx);
    },
    remove: (ref) => {
      removed.push(ref);
      return removeImpl(ref);
    },
    toStatus: (_record, o) => ({
      state: o.state,
      ...(o.progress === undefined ? {} : { progress: o.progress }),
    }),
    fromStatus: (record) => (record.status.state === "Pending" ? undefined : record.status),
    statusEquals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    failedStatus: () => ({ state: "Error" }),
    transition: (before, after) =>
      before.state !== after.state && after.state === "Ready"
        ? { type: "Normal", reason: "Ready", message: "ready" }
        : undefined,
    retryFailedAfterMs: 60_000,
    now: () => clock,
  });
});

afterEach(async () => {
  r.close();
  await events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const add = (id: string) =>
  things.create({ id, finalizers: [FINALIZER], spec: { size: 1 }, status: { state: "Pending" } });
const reasons = (id: string) => events.list({ id }).map((e) => `${e.spec?.type}/${e.spec?.reason}`);

describe("objectReconciler", () => {
  it("writes status, backend state and the transition's event in one commit", async () => {
    await add("a");
    const before = db.stats();
    await r.reconcile("a", signal);
    await events.flush();
    const after = db.stats();
    // The creation tag is committed first, on its own, before the backend may create anything; then status,
    // backend state and event share one commit.
    expect(after.writes - before.writes).toBe(4);
    expect(after.commits - before.commits).toBe(2);
    expect(things.get("a")?.status).toEqual({ state: "Ready" });
    expect(reasons("a")).toEqual(["Normal/Ready"]);
  });

  it("writes the observation, records the transition once, and keeps the placement for later calls", async () => {
    await add("t1");
    await r.reconcile("t1", signal);
    let seen: OperationContext<Obs> | undefined;
    applyImpl = async (ctx) => {
      seen = ctx;
      return { observation: { state: "Ready" } };
    };
    await r.reconcile("t1", signal);
    expect(things.get("t1")?.status).toEqual({ state: "Ready" });
    expect(seen?.placement).toEqual({ pool: "a" });
    expect(seen?.lastObservation).toEqual({ state: "Ready" });
    expect(reasons("t1")).toEqual(["Normal/Ready"]);
  });

  it("turns notDone into a requeue with its delay and one note per reason, Warning when blocked", async () => {
    await add("t1");
    applyImpl = async () => ({
      observation: { state: "Pending", progress: 1 },
      notDone: { afterMs: 2_000, reason: "Populating", message: "writing the image" },
    });
    expect(await r.reconcile("t1", signal)).toEqual({ requeueAfterMs: 2_000 });
    expect(await r.reconcile("t1", signal)).toEqual({ requeueAfterMs: 2_000 });
    expect(reasons("t1")).toEqual(["Normal/Populating"]);
    await things.markDeleted("t1");
    removeImpl = async () => ({
      afterMs: 30_000,
      reason: "NotEmpty",
      message: "bucket holds 3 objects",
      blocked: true,
    });
    expect(await r.reconcile("t1", signal)).toEqual({ requeueAfterMs: 30_000 });
    await r.reconcile("t1", signal);
    expect(reasons("t1")).toEqual(["Normal/Populating", "Warning/NotEmpty"]);
    expect(things.get("t1")?.metadata.finalizers).toEqual([FINALIZER]);
    removeImpl = async () => undefined;
    await r.reconcile("t1", signal);
    expect(things.get("t1")).toBeUndefined();
  });

  it("lets a backend report progress before it returns", async () => {
    await add("t1");
    let midway: Status | undefined;
    applyImpl = async (ctx) => {
      await ctx.report({ state: "Pending", progress: 50 });
      midway = things.get("t1")?.status;
      return { observation: { state: "Ready" } };
    };
    await r.reconcile("t1", signal);
    expect(midway).toEqual({ state: "Pending", progress: 50 });
  });

  it("holds a permanent failure at its generation: ERROR, one Warning, retried only after a spec change or the interval", async () => {
    await add("t1");
    applyImpl = async () => {
      throw new PermanentBackendError("ImageNotFound", "no such image");
    };
    expect(await r.reconcile("t1", signal)).toEqual({ requeueAfterMs: 60_000 });
    await r.reconcile("t1", signal);
    expect(applies).toBe(1);
    expect(things.get("t1")?.status.state).toBe("Error");
    expect(reasons("t1")).toEqual(["Warning/ImageNotFound"]);
    clock += 60_000;
    await r.reconcile("t1", signal);
    expect(applies).toBe(2);
    applyImpl = async () => ({ observation: { state: "Ready" } });
    await r.reconcile("t1", signal);
    expect(applies).toBe(2);
    await things.mutate("t1", () => ({ spec: { size: 2 } }));
    await r.reconcile("t1", signal);
    expect(applies).toBe(3);
    expect(things.get("t1")?.status.state).toBe("Ready");
  });

  it("retries transient failures (the controller backs off) with one Warning per distinct message", async () => {
    await add("t1");
    applyImpl = async () => {
      throw new BackendUnavailableError("monitor 127.0.0.1:3300 unreachable");
    };
    await expect(r.reconcile("t1", signal)).rejects.toThrow(BackendUnavailableError);
    await expect(r.reconcile("t1", signal)).rejects.toThrow(BackendUnavailableError);
    expect(reasons("t1")).toEqual(["Warning/BackendUnavailable"]);
  });

  it("aborts an object's running apply when it is deleted, then tears it down with its placement", async () => {
    await add("t1");
    await r.reconcile("t1", signal);
    let aborted = false;
    applyImpl = (ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
          resolve({ observation: { state: "Ready" } });
        });
      });
    await things.mutate("t1", () => ({ spec: { size: 5 } }));
    const running = r.reconcile("t1", signal);
    await things.markDeleted("t1");
    await running;
    expect(aborted).toBe(true);
    await r.reconcile("t1", signal);
    expect(removed[0]?.placement).toEqual({ pool: "a" });
    expect(things.get("t1")).toBeUndefined();
    // Nothing is left to visit.
    expect(r.listKeys()).toEqual([]);
  });

  it("removes only orphans it was handed, with the placement they carry", async () => {
    await add("known");
    expect(
      r.setRemovableOrphans([
        { id: "known", owner: "me" },
        { id: "gone", owner: "me", placement: { pool: "b" } },
      ]),
    ).toEqual(["gone"]);
    expect(r.listKeys().sort()).toEqual(["gone", "known"]);
    await r.reconcile("gone", signal);
    expect(removed.map((x) => [x.id, x.placement])).toEqual([["gone", { pool: "b" }]]);
    await r.reconcile("stranger", signal);
    expect(removed).toHaveLength(1);
    expect(r.listKeys()).toEqual(["known"]);
  });
});
