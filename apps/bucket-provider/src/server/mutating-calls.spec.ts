// Every mutating bucket RPC, one row per answer: the code a caller gets, and that a refused call stores
// nothing and leaves the prepared bucket exactly as it was, while an accepted one is stored.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { bucket } from "@iri/api";
import { noopBucketBackend } from "@iri/noop-backend";
import {
  createBackendContext,
  createLogger,
  EventRecorder,
  KitBackgroundJobs,
  ProviderError,
  ProviderMetrics,
} from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openBucketCollection } from "../bucket-store.js";
import type { BucketServerContext } from "./context.js";
import { createBucket } from "./create-bucket.js";
import { deleteBucket } from "./delete-bucket.js";

let dir: string;
let db: Database;
let ctx: BucketServerContext;
/** The id of a bucket of class "standard" created with id "kept". */
const KEPT = "kept";

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "bucket-provider-"));
  db = openDatabase({ path: join(dir, "db") });
  const logger = createLogger({ level: "silent" });
  const backend = await noopBucketBackend.open(
    {},
    createBackendContext({
      stateDir: dir,
      logger,
      metrics: new ProviderMetrics({ processMetrics: false }).registry,
      owner: { provider: "test", instanceId: "i1" },
      jobs: new KitBackgroundJobs(),
    }),
  );
  ctx = {
    buckets: openBucketCollection(db, randomBytes(32)),
    classes: [{ name: "standard", tps: 1n, iops: 1n, settings: {} }],
    backend,
    events: new EventRecorder({ db, logger }),
    runtimeName: "test",
    runtimeVersion: "0.0.0",
  };
  await createBucket(ctx, createRequest("standard", KEPT));
});

afterEach(async () => {
  await ctx.events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

function createRequest(cls: string, id = "") {
  return create(bucket.CreateBucketRequestSchema, { bucket: { metadata: { id }, spec: { class: cls } } });
}
const remove = (bucketId: string) =>
  deleteBucket(ctx, create(bucket.DeleteBucketRequestSchema, { bucketId }));
const stored = () => ({ count: ctx.buckets.count(), kept: ctx.buckets.get(KEPT)?.metadata.resourceVersion });

const refused: { call: string; send: () => Promise<unknown>; code: Code }[] = [
  {
    call: "CreateBucket without a spec",
    send: () => createBucket(ctx, create(bucket.CreateBucketRequestSchema, { bucket: {} })),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateBucket without a class",
    send: () => createBucket(ctx, createRequest("")),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateBucket of an unknown class",
    send: () => createBucket(ctx, createRequest("glacier")),
    code: Code.InvalidArgument,
  },
  { call: "DeleteBucket without an id", send: () => remove(""), code: Code.InvalidArgument },
  { call: "DeleteBucket of a bucket that does not exist", send: () => remove("nope"), code: Code.NotFound },
];

describe.each(refused)("$call", ({ send, code }) => {
  it(`answers ${Code[code]} and stores nothing`, async () => {
    const before = stored();
    const error = await send().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(code);
    expect(stored()).toEqual(before);
  });
});

const accepted: { call: string; send: () => Promise<unknown>; expectStored: () => void }[] = [
  {
    call: "CreateBucket",
    send: () => createBucket(ctx, createRequest("standard")),
    expectStored: () => expect(ctx.buckets.count()).toBe(2),
  },
  {
    call: "CreateBucket repeated with the same id and spec (a retry)",
    send: () => createBucket(ctx, createRequest("standard", KEPT)),
    expectStored: () => expect(ctx.buckets.count()).toBe(1),
  },
  {
    call: "DeleteBucket",
    send: () => remove(KEPT),
    expectStored: () => expect(ctx.buckets.get(KEPT)?.metadata.deletedAt).not.toBe(0n),
  },
];

describe.each(accepted)("$call", ({ send, expectStored }) => {
  it("is stored", async () => {
    await send();
    expectStored();
  });
});
