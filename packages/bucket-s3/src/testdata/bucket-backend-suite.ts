// One behavioural suite for every S3 bucket backend, run against the real store by each backend's spec file.
import { randomBytes } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { bucket } from "@iri/api";
import {
  BackendUnavailableError,
  type BucketBackend,
  type BucketObservation,
  PermanentBackendError,
} from "@iri/backend-api";
import { describeBucketBackendContract, type TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startScratchStore } from "./scratch-store.js";
import { BucketDriver, bucketClass, bucketTestContext } from "./test-context.js";

export interface OpenOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly endpoint?: string;
  readonly timeoutMs?: number;
  /** Sign with a secret that is not the admin's. */
  readonly wrongKey?: boolean;
}

export interface StoreUnderTest {
  readonly name: string;
  /**
   * Opens the backend against the store named by `env` (default: process.env, the shared services);
   * `endpoint` replaces the store's URL (e.g. a dead port).
   */
  open(ctx: TestBackendContext, options?: OpenOptions): Promise<BucketBackend>;
  /** Which scripts/*.sh starts a scratch instance of this store. */
  readonly scratchKind: "minio" | "ceph";
  /** Removes a bucket's objects behind the provider's back, as an operator would. */
  emptyBucket(bucketName: string, identity: string): Promise<void>;
  /** What the store still holds for an object: user, key, policy or bucket, by name. */
  leftovers(ctx: TestBackendContext, id: string, bucketName: string): Promise<string[]>;
  /** MinIO has no object-count quota. */
  readonly objectQuota: boolean;
}

const plain = bucketClass("plain");
// Small enough that a refused upload is sent whole before the store answers (a large one may see a reset).
const quota = bucketClass("small", { maxBytes: 64 * 1024 });
const purging = bucketClass("scratch", { purgeOnDelete: true });

export function newId(): string {
  return `t${randomBytes(8).toString("hex")}`;
}

function text(access: BucketObservation["access"], key: string): string {
  const value = access?.secretData[key];
  if (!value) throw new Error(`secret_data has no ${key}`);
  return new TextDecoder().decode(value);
}

/** An S3 client built only from what a consumer gets: secret_data. */
export function consumerClient(observation: BucketObservation): { s3: S3Client; bucket: string } {
  const access = observation.access;
  const s3 = new S3Client({
    endpoint: `http://${text(access, "BUCKET_HOST")}:${text(access, "BUCKET_PORT")}`,
    region: text(access, "BUCKET_REGION"),
    forcePathStyle: true,
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: {
      accessKeyId: text(access, "AWS_ACCESS_KEY_ID"),
      secretAccessKey: text(access, "AWS_SECRET_ACCESS_KEY"),
    },
  });
  return { s3, bucket: text(access, "BUCKET_NAME") };
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { Code?: string }).Code ?? (error as Error).name;
  }
  return "no error";
}

async function put(observation: BucketObservation, key: string, body: Uint8Array | string) {
  const { s3, bucket: name } = consumerClient(observation);
  try {
    await s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}

export function describeBucketBackend(store: StoreUnderTest): void {
  // What every bucket backend owes the provider, then what an S3 store adds (consumers, quotas, outages).
  describeBucketBackendContract({
    name: `${store.name} (real ${store.name})`,
    keepsCreationTags: true,
    open: (ctx) => store.open(ctx),
    bucketClass: plain,
  });

  describe(`${store.name} bucket backend (real ${store.name})`, () => {
    const ctx = bucketTestContext(`it${randomBytes(6).toString("hex")}`);
    let backend: BucketBackend;
    let driver: BucketDriver;
    const created = new Set<string>();

    async function createAvailable(cls = plain): Promise<{ id: string; observation: BucketObservation }> {
      const id = newId();
      created.add(id);
      const outcome = await driver.apply(id, cls);
      expect(outcome.notDone).toBeUndefined();
      expect(outcome.observation.state).toBe(bucket.BucketState.BUCKET_AVAILABLE);
      return { id, observation: outcome.observation };
    }

    async function bucketNameOf(id: string): Promise<string> {
      const name = driver.placementOf(id)?.bucket;
      if (!name) throw new Error(`no placement for ${id}`);
      return name;
    }

    beforeAll(async () => {
      backend = await store.open(ctx);
      driver = new BucketDriver(backend, ctx);
    });

    afterAll(async () => {
      // Everything this run made goes, whatever the tests left; then nothing of this instance may remain.
      for (const id of created) {
        for (let i = 0; i < 3 && (await driver.remove(id)) !== undefined; i++) {
          const name = driver.placementOf(id)?.bucket;
          if (name) await store.emptyBucket(name, driver.placementOf(id)?.identity ?? "");
        }
      }
      const left = (await backend.listOwned()).filter((r) => r.owner === ctx.owner.instanceId);
      await backend.close();
      await ctx.dispose();
      expect(left).toEqual([]);
    });

    it("creates an AVAILABLE bucket whose credentials put and get objects", async () => {
      const { id, observation } = await createAvailable();
      const access = observation.access;
      expect(access?.endpoint).toBe(
        `${text(access, "BUCKET_NAME")}.${text(access, "BUCKET_HOST")}:${text(access, "BUCKET_PORT")}`,
      );
      expect(Object.keys(access?.secretData ?? {}).sort()).toEqual([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "BUCKET_HOST",
        "BUCKET_NAME",
        "BUCKET_PORT",
        "BUCKET_REGION",
      ]);
      await put(observation, "hello.txt", "hello bucket");
      const { s3, bucket: name } = consumerClient(observation);
      const got = await s3.send(new GetObjectCommand({ Bucket: name, Key: "hello.txt" }));
      expect(await got.Body?.transformToString()).toBe("hello bucket");
      s3.destroy();
      const reasons = ctx.eventsOf(id).map((e) => e.reason);
      expect(reasons).toContain("BucketCreated");
    });

    it("is idempotent: applying again keeps the bucket, its key and says nothing new", async () => {
      const { id, observation } = await createAvailable();
      const before = ctx.eventsOf(id).length;
      const again = await driver.apply(id, plain);
      expect(again.observation.access?.secretData).toEqual(observation.access?.secretData);
      expect(again.placement).toBeUndefined();
      expect(ctx.eventsOf(id).length).toBe(before);
    });

    it("keeps buckets apart: A's key opens neither B's objects nor B's listing", async () => {
      const a = await createAvailable();
      const b = await createAvailable();
      await put(b.observation, "secret.txt", "b only");
      const { s3 } = consumerClient(a.observation);
      const bName = await bucketNameOf(b.id);
      expect(await errorName(s3.send(new GetObjectCommand({ Bucket: bName, Key: "secret.txt" })))).toBe(
        "AccessDenied",
      );
      expect(await errorName(s3.send(new ListObjectsV2Command({ Bucket: bName })))).toBe("AccessDenied");
      expect(await errorName(s3.send(new PutObjectCommand({ Bucket: bName, Key: "x", Body: "x" })))).toBe(
        "AccessDenied",
      );
      // Listing buckets shows at most A's own.
      const listed = await s3.send(new ListBucketsCommand({})).then(
        (out) => (out.Buckets ?? []).map((x) => x.Name),
        () => [] as string[],
      );
      expect(listed).not.toContain(bName);
      s3.destroy();
    });

    it("refuses an upload over the class's byte quota and records the quota", async () => {
      const { id, observation } = await createAvailable(quota);
      expect(ctx.eventsOf(id).map((e) => e.reason)).toContain("QuotaSet");
      await put(observation, "small", new Uint8Array(10 * 1024));
      const over = put(observation, "big", new Uint8Array(128 * 1024));
      expect(await errorName(over)).toMatch(/QuotaExceeded/);
      const { s3, bucket: name } = consumerClient(observation);
      expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: name, Key: "big" })))).toBe("NotFound");
      s3.destroy();
    });

    it(
      store.objectQuota
        ? "refuses objects over the class's object quota"
        : "refuses a class with an object quota it cannot enforce",
      async () => {
        const few = bucketClass("few", { maxObjects: 2 });
        if (!store.objectQuota) {
          const error = await driver.apply(newId(), few).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(PermanentBackendError);
          expect((error as PermanentBackendError).reason).toBe("ClassNotSupported");
          return;
        }
        const { observation } = await createAvailable(few);
        await put(observation, "1", "1");
        await put(observation, "2", "2");
        expect(await errorName(put(observation, "3", "3"))).toMatch(/QuotaExceeded/);
      },
    );

    it("deletes an empty bucket with its identity; its credentials stop working", async () => {
      const { id, observation } = await createAvailable();
      const name = await bucketNameOf(id);
      expect(await driver.remove(id)).toBeUndefined();
      expect(await store.leftovers(ctx, id, name)).toEqual([]);
      expect(await errorName(put(observation, "after", "x"))).toMatch(
        /InvalidAccessKeyId|AccessDenied|NoSuchBucket/,
      );
      const reasons = ctx.eventsOf(id).map((e) => e.reason);
      expect(reasons).toEqual(expect.arrayContaining(["CredentialsRevoked", "BucketDeleted"]));
      // Deleting again finds nothing to do.
      expect(await driver.remove(id)).toBeUndefined();
    });

    it("keeps a non-empty bucket whose class does not purge, and its credentials, until its tenant empties it", async () => {
      const { id, observation } = await createAvailable();
      await put(observation, "keep-me", "data");
      const name = await bucketNameOf(id);
      const waiting = await driver.remove(id);
      expect(waiting).toMatchObject({ blocked: true, reason: "BucketNotEmpty" });
      expect(await driver.remove(id)).toMatchObject({ blocked: true, reason: "BucketNotEmpty" });
      expect(await store.leftovers(ctx, id, name)).toContain(`bucket ${name}`);
      // The tenant still reads, writes and deletes with its own credentials: it can empty the bucket.
      await put(observation, "more", "x");
      const { s3, bucket: own } = consumerClient(observation);
      try {
        for (const key of ["keep-me", "more"])
          await s3.send(new DeleteObjectCommand({ Bucket: own, Key: key }));
      } finally {
        s3.destroy();
      }
      expect(await driver.remove(id)).toBeUndefined();
      expect(await store.leftovers(ctx, id, name)).toEqual([]);
      expect(await errorName(put(observation, "after", "x"))).toMatch(
        /InvalidAccessKeyId|AccessDenied|NoSuchBucket/,
      );
      expect(ctx.eventsOf(id).map((e) => e.reason)).toEqual(
        expect.arrayContaining(["BucketDeleted", "CredentialsRevoked"]),
      );
    });

    it("purges a non-empty bucket when its class says so", async () => {
      const { id, observation } = await createAvailable(purging);
      await put(observation, "a", "1");
      await put(observation, "b/c", "2");
      const name = await bucketNameOf(id);
      expect(await driver.remove(id)).toBeUndefined();
      expect(await store.leftovers(ctx, id, name)).toEqual([]);
    });

    it("treats a delete of an id it never created as done, touching nothing", async () => {
      const before = await backend.listOwned();
      expect(await driver.remove(newId())).toBeUndefined();
      expect(await backend.listOwned()).toEqual(before);
    });

    it("lists what it holds with its owner and creation tags", async () => {
      const { id } = await createAvailable();
      const mine = (await backend.listOwned()).find((r) => r.id === id);
      expect(mine).toMatchObject({
        id,
        owner: ctx.owner.instanceId,
        placement: { bucket: await bucketNameOf(id) },
        created: { lineage: "test", generation: 1 },
      });
    });

    it("refuses, permanently, a bucket name taken by a bucket another provider instance owns, and leaves it alone", async () => {
      const { id, observation } = await createAvailable();
      await put(observation, "theirs", "x");
      const otherCtx = bucketTestContext(`other${randomBytes(4).toString("hex")}`);
      const other = await store.open(otherCtx);
      const otherDriver = new BucketDriver(other, otherCtx);
      try {
        const error = await otherDriver.apply(id, plain).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PermanentBackendError);
        expect((error as PermanentBackendError).reason).toBe("BucketNameTaken");
        // The other instance sees our bucket as someone else's, and deleting its own record leaves ours intact.
        expect(await otherDriver.remove(id)).toBeUndefined();
        expect((await other.listOwned()).filter((r) => r.owner === otherCtx.owner.instanceId)).toEqual([]);
        const { s3, bucket: name } = consumerClient(observation);
        const got = await s3.send(new GetObjectCommand({ Bucket: name, Key: "theirs" }));
        expect(await got.Body?.transformToString()).toBe("x");
        s3.destroy();
      } finally {
        await other.close();
        await otherCtx.dispose();
      }
    });

    it("rejects a class with bad settings as a permanent error", async () => {
      const error = await driver
        .apply(newId(), bucketClass("bad", { maxBytes: "lots" }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentBackendError);
      expect((error as PermanentBackendError).reason).toBe("InvalidBucketClass");
    });

    // A kill -9 at any point of a call, simulated by cutting it off at its n-th request to the store: before the
    // request is sent, or after the store acted but before the answer was read.
    async function crashAt<T>(
      cut: number,
      mode: "before" | "after",
      call: (signal: AbortSignal) => Promise<T>,
    ) {
      const crash = new AbortController();
      let calls = 0;
      const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (...args) => {
        calls++;
        if (calls === cut && mode === "before") crash.abort(new Error("crash"));
        const response = await originalFetch(...args);
        if (calls === cut && mode === "after") crash.abort(new Error("crash"));
        return response;
      });
      try {
        await call(crash.signal).catch(() => undefined);
      } finally {
        spy.mockRestore();
      }
      return calls;
    }

    it("converges without orphans when a create, then a delete, is cut off at any request", async () => {
      for (const mode of ["before", "after"] as const) {
        for (let cut = 1; ; cut++) {
          const id = newId();
          created.add(id);
          const requests = await crashAt(cut, mode, (signal) => driver.apply(id, plain, signal));
          // The provider restarts: a fresh backend, the same records.
          const restarted = await store.open(ctx);
          driver.restartWith(restarted);
          try {
            const outcome = await driver.apply(id, plain);
            expect(outcome.observation.state).toBe(bucket.BucketState.BUCKET_AVAILABLE);
            const { s3, bucket: name } = consumerClient(outcome.observation);
            await s3.send(new PutObjectCommand({ Bucket: name, Key: "after-crash", Body: `${mode} ${cut}` }));
            await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "after-crash" }));
            s3.destroy();
            expect((await restarted.listOwned()).filter((r) => r.id === id)).toHaveLength(1);
            await crashAt(cut, mode, (signal) => driver.remove(id, signal));
            expect(await driver.remove(id)).toBeUndefined();
            expect(await store.leftovers(ctx, id, name)).toEqual([]);
          } finally {
            await restarted.close();
            driver.restartWith(backend);
          }
          if (cut > requests) break;
        }
      }
    }, 180_000);

    it("refuses to open with a wrong admin key, saying what the key must be", async () => {
      const error = await store.open(ctx, { wrongKey: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(
        /refused the admin key \((InvalidAccessKeyId|SignatureDoesNotMatch)\); it must belong to/,
      );
    });

    it("reports an unreachable store as BackendUnavailableError, quickly", async () => {
      const dead = await deadEndpoint();
      await expect(store.open(ctx, { endpoint: dead, timeoutMs: 500 })).rejects.toBeInstanceOf(
        BackendUnavailableError,
      );
    });

    it("rides out the store being stopped and started: unavailable while down, converged after", async () => {
      const scratch = await startScratchStore(store.scratchKind);
      const octx = bucketTestContext(`out${randomBytes(4).toString("hex")}`);
      const ours = await store.open(octx, { env: scratch.env, timeoutMs: 1000 });
      const outage = new BucketDriver(ours, octx);
      try {
        const before = newId();
        const during = newId();
        const first = await outage.apply(before, plain);
        await scratch.stop();
        await expect(outage.apply(during, plain)).rejects.toBeInstanceOf(BackendUnavailableError);
        await expect(outage.remove(before)).rejects.toBeInstanceOf(BackendUnavailableError);
        await expect(ours.listOwned()).rejects.toBeInstanceOf(BackendUnavailableError);
        // The outage shows on /metrics.
        const series = await octx.metrics.getSingleMetricAsString("iri_bucket_store_requests_total");
        expect(series).toMatch(new RegExp(`backend="${store.name}".*outcome="unavailable"\\} [1-9]`));
        expect(series).toMatch(/outcome="ok"\} [1-9]/);
        await scratch.start();
        const after = await untilResolved(() => outage.apply(during, plain), 60_000);
        expect(after.observation.state).toBe(bucket.BucketState.BUCKET_AVAILABLE);
        for (const observation of [first.observation, after.observation]) {
          const { s3, bucket: name } = consumerClient(observation);
          await s3.send(new PutObjectCommand({ Bucket: name, Key: "k", Body: "v" }));
          await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "k" }));
          s3.destroy();
        }
        expect(await outage.remove(before)).toBeUndefined();
        expect(await outage.remove(during)).toBeUndefined();
        expect((await ours.listOwned()).filter((r) => r.owner === octx.owner.instanceId)).toEqual([]);
      } finally {
        await ours.close();
        await scratch.dispose();
        await octx.dispose();
      }
    }, 300_000);

    it("never puts a key or secret into events or logs", async () => {
      const { observation } = await createAvailable(quota);
      const secrets = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((k) => text(observation.access, k));
      const said = JSON.stringify(ctx.events) + ctx.logLines.join("\n");
      for (const secret of secrets) expect(said).not.toContain(secret);
    });
  });
}

const originalFetch = globalThis.fetch.bind(globalThis);

/** Retries `call` until it resolves (a store that just started may refuse for a moment), up to a deadline. */
async function untilResolved<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** A loopback URL nothing listens on. */
async function deadEndpoint(): Promise<string> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
