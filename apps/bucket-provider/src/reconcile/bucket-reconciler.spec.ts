import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { bucket } from "@iri/api";
import {
  type BucketBackend,
  type BucketIntent,
  DeletionBlockedError,
  PermanentBackendError,
} from "@iri/backend-api";
import { TerminalError } from "@iri/reconcile";
import { createLogger, EventRecorder } from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKEND_FINALIZER, type BucketCollection, openBucketCollection } from "../bucket-store.js";
import { bucketReconciler } from "./bucket-reconciler.js";

class FakeBackend implements BucketBackend {
  readonly name = "fake";
  applied: BucketIntent[] = [];
  removeError: Error | undefined;
  applyError: Error | undefined;
  async apply(intent: BucketIntent) {
    if (this.applyError) throw this.applyError;
    this.applied.push(intent);
    return {
      state: bucket.BucketState.BUCKET_AVAILABLE,
      access: create(bucket.BucketAccessSchema, { endpoint: "http://127.0.0.1:7480" }),
    };
  }
  async remove() {
    if (this.removeError) throw this.removeError;
  }
  async listOwned() {
    return [];
  }
  async close() {}
}

const classes = [{ name: "standard", tps: 1n, iops: 1n, settings: { quota: 1 } }];
let dir: string;
let db: Database;
let buckets: BucketCollection;
let events: EventRecorder;
let backend: FakeBackend;
let reconcile: ReturnType<typeof bucketReconciler>;
const signal = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bucket-reconciler-"));
  db = openDatabase({ path: join(dir, "db") });
  buckets = openBucketCollection(db);
  events = new EventRecorder({ db, logger: createLogger({ level: "silent" }) });
  backend = new FakeBackend();
  reconcile = bucketReconciler({ buckets, classes, backend, events, blockedDeleteRetryMs: 5_000 });
});

afterEach(async () => {
  await events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function createBucket(id: string, cls = "standard") {
  return buckets.create({
    id,
    finalizers: [BACKEND_FINALIZER],
    spec: create(bucket.BucketSpecSchema, { class: cls }),
    status: create(bucket.BucketStatusSchema, {}),
  });
}

describe("bucketReconciler", () => {
  it("passes the class settings to the backend and publishes the access once available", async () => {
    await createBucket("b1");
    await reconcile("b1", signal);
    expect(backend.applied[0]?.class.settings).toEqual({ quota: 1 });
    expect(buckets.get("b1")?.status.state).toBe(bucket.BucketState.BUCKET_AVAILABLE);
    expect(buckets.get("b1")?.status.access?.endpoint).toBe("http://127.0.0.1:7480");
  });

  it("keeps a bucket whose deletion is blocked, says why in a Warning event and tries again later", async () => {
    await createBucket("b1");
    await buckets.markDeleted("b1");
    backend.removeError = new DeletionBlockedError("BucketNotEmpty", "bucket b1 still holds 3 objects");
    expect(await reconcile("b1", signal)).toEqual({ requeueAfterMs: 5_000 });
    expect(buckets.get("b1")?.metadata.deletedAt).not.toBe(0n);
    const [ev] = events.list({ id: "b1" });
    expect(ev?.spec?.reason).toBe("BucketNotEmpty");
    expect(ev?.spec?.type).toBe("Warning");

    backend.removeError = undefined;
    await reconcile("b1", signal);
    expect(buckets.get("b1")).toBeUndefined();
  });

  it("sets BUCKET_ERROR for a permanent failure, including a class that is no longer configured", async () => {
    await createBucket("b1", "retired");
    await expect(reconcile("b1", signal)).rejects.toBeInstanceOf(TerminalError);
    expect(buckets.get("b1")?.status.state).toBe(bucket.BucketState.BUCKET_ERROR);
    expect(events.list({ id: "b1" })[0]?.spec?.reason).toBe("UnknownClass");

    await createBucket("b2");
    backend.applyError = new PermanentBackendError("QuotaInvalid", "quota rejected");
    await expect(reconcile("b2", signal)).rejects.toBeInstanceOf(TerminalError);
    expect(buckets.get("b2")?.status.state).toBe(bucket.BucketState.BUCKET_ERROR);
  });
});
