import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import {
  type ApplyOutcome,
  type BucketBackend,
  type BucketObservation,
  PermanentBackendError,
  type RemoveOutcome,
} from "@iri/backend-api";
import {
  createLogger,
  EventRecorder,
  type ObjectReconciler,
  objectReconciler,
  openBackendState,
} from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, expect, it } from "vitest";
import { BACKEND_FINALIZER, type BucketCollection, openBucketCollection } from "../bucket-store.js";
import { bucketReconcilerOptions } from "./bucket-reconciler.js";

let removeOutcome: RemoveOutcome;
let applyError: Error | undefined;
const backend: BucketBackend = {
  name: "fake",
  async apply(intent): Promise<ApplyOutcome<BucketObservation>> {
    if (applyError) throw applyError;
    return {
      observation: {
        state: bucket.BucketState.BUCKET_AVAILABLE,
        access: create(bucket.BucketAccessSchema, { endpoint: `${intent.id}.s3.local` }),
      },
    };
  },
  async remove() {
    return removeOutcome;
  },
  async listOwned() {
    return [];
  },
  async close() {},
};

let dir: string;
let db: Database;
let buckets: BucketCollection;
let events: EventRecorder;
let reconciler: ObjectReconciler;
const signal = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bucket-reconciler-"));
  db = openDatabase({ path: join(dir, "db") });
  buckets = openBucketCollection(db, randomBytes(32));
  const logger = createLogger({ level: "silent" });
  events = new EventRecorder({ db, logger });
  removeOutcome = undefined;
  applyError = undefined;
  const classes = [{ name: "std", tps: 0n, iops: 0n, settings: {} }];
  reconciler = objectReconciler({
    ...bucketReconcilerOptions({ buckets, classes, backend }),
    states: openBackendState(db, "bucket"),
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

const add = () =>
  buckets.create({
    id: "b1",
    finalizers: [BACKEND_FINALIZER],
    spec: create(bucket.BucketSpecSchema, { class: "std" }),
    status: create(bucket.BucketStatusSchema, {}),
  });

it("keeps a bucket whose deletion is blocked, says why once, and finishes once it may go", async () => {
  await add();
  await reconciler.reconcile("b1", signal);
  expect(buckets.get("b1")?.status.state).toBe(bucket.BucketState.BUCKET_AVAILABLE);
  await buckets.markDeleted("b1");
  removeOutcome = {
    afterMs: 30_000,
    reason: "BucketNotEmpty",
    message: "bucket holds 2 objects",
    blocked: true,
  };
  expect(await reconciler.reconcile("b1", signal)).toEqual({ requeueAfterMs: 30_000 });
  await reconciler.reconcile("b1", signal);
  const warnings = events.list({ id: "b1" }).filter((e) => e.spec?.type === "Warning");
  expect(warnings.map((e) => e.spec?.reason)).toEqual(["BucketNotEmpty"]);
  removeOutcome = undefined;
  await reconciler.reconcile("b1", signal);
  expect(buckets.get("b1")).toBeUndefined();
});

it("marks a bucket BUCKET_ERROR on a permanent failure", async () => {
  await add();
  applyError = new PermanentBackendError("BucketNameTaken", "bucket name is owned by someone else");
  await reconciler.reconcile("b1", signal);
  expect(buckets.get("b1")?.status.state).toBe(bucket.BucketState.BUCKET_ERROR);
});
