// CreateBucket → AVAILABLE per bucket backend (rgw, minio): through the bucket provider (gRPC CreateBucket,
// then ListBuckets until AVAILABLE), through the backend alone (its apply), and the floor of the same admin and
// S3 calls made directly; one bucket after another, the three interleaved so that drift hits all of them.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from "@aws-sdk/client-s3";
import { create } from "@bufbuild/protobuf";
import { bucket, createRuntimeClient } from "@iri/api";
import type { BackendContext, BucketClassConfig } from "@iri/backend-api";
import { minioBackendFactory, rgwBackendFactory } from "@iri/bucket-s3";
import { MinioAdminClient } from "@iri/minio";
import { RgwAdminClient } from "@iri/rgw";
import { Registry } from "prom-client";
import { readCpuMs } from "./proc-stats.js";
import { startProvider } from "./provider-process.js";
import { withConcurrency } from "./samples.js";
import { percentile, probeDuring } from "./status-probe.js";

export interface BucketCreateMeasurement {
  readonly backend: "rgw" | "minio";
  readonly buckets: number;
  /** gRPC CreateBucket → ListBuckets shows AVAILABLE. */
  readonly provider: Percentiles;
  /** The backend's apply alone. */
  readonly backendApply: Percentiles;
  readonly floor: Percentiles;
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

const CLASS: BucketClassConfig = { name: "bench", tps: 0n, iops: 0n, settings: { maxBytes: 1 << 30 } };
const QUOTA_BYTES = 1 << 30;

export interface Store {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

/** The stores named by the environment (`scripts/services.sh env`); a missing one is reported, not measured. */
export function storesFromEnv(): { rgw?: Store; minio?: Store } {
  const e = process.env;
  return {
    ...(e.RGW_ENDPOINT && e.RGW_ADMIN_ACCESS_KEY && e.RGW_ADMIN_SECRET_KEY
      ? {
          rgw: {
            endpoint: e.RGW_ENDPOINT,
            accessKey: e.RGW_ADMIN_ACCESS_KEY,
            secretKey: e.RGW_ADMIN_SECRET_KEY,
          },
        }
      : {}),
    ...(e.MINIO_ENDPOINT && e.MINIO_ROOT_USER && e.MINIO_ROOT_PASSWORD
      ? {
          minio: {
            endpoint: e.MINIO_ENDPOINT,
            accessKey: e.MINIO_ROOT_USER,
            secretKey: e.MINIO_ROOT_PASSWORD,
          },
        }
      : {}),
  };
}

export async function measureBucketCreates(
  kind: "rgw" | "minio",
  store: Store,
  buckets: number,
): Promise<BucketCreateMeasurement> {
  const instanceId = `bench${randomBytes(4).toString("hex")}`;
  const stateDir = mkdtempSync(join(tmpdir(), "iri-bench-bucket-"));
  const settings = {
    Endpoint: store.endpoint,
    AccessKey: store.accessKey,
    SecretKey: store.secretKey,
    BucketEndpoint: "",
    PathStyle: false,
    Region: "us-east-1",
    TimeoutMs: 10_000,
  };
  const context = quietContext(stateDir, instanceId);
  const prefixed = (prefix: string) =>
    Object.fromEntries(Object.entries(settings).map(([k, v]) => [prefix + k, v]));
  const backend =
    kind === "rgw"
      ? await rgwBackendFactory.open(prefixed("rgw") as Parameters<typeof rgwBackendFactory.open>[0], context)
      : await minioBackendFactory.open(
          prefixed("minio") as Parameters<typeof minioBackendFactory.open>[0],
          context,
        );
  const floor = kind === "rgw" ? rgwFloor(store, instanceId) : minioFloor(store, instanceId);
  const provider = await startBucketProvider(kind, store, stateDir);
  const grpc = createRuntimeClient(bucket.BucketRuntime, provider.address);
  const grpcIds: string[] = [];
  const providerIds: string[] = [];
  const providerMs: number[] = [];
  const applyMs: number[] = [];
  const floorMs: number[] = [];
  try {
    // Two warm-up rounds (connections, argon2 wasm, JIT), not counted.
    for (let i = -2; i < buckets; i++) {
      const id = `b${randomBytes(8).toString("hex")}`;
      providerIds.push(id);
      const start = performance.now();
      const outcome = await backend.apply(
        { id, labels: {}, class: CLASS },
        {
          signal: new AbortController().signal,
          generation: 1n,
          lastObservation: undefined,
          placement: undefined,
          tag: { lineage: "bench", generation: 1 },
          event: () => {},
          report: async () => {},
        },
      );
      const applyTook = performance.now() - start;
      if (outcome.observation.state !== bucket.BucketState.BUCKET_AVAILABLE)
        throw new Error(`${id} not AVAILABLE`);
      const grpcStart = performance.now();
      grpcIds.push(await createUntilAvailable(grpc));
      const grpcTook = performance.now() - grpcStart;
      const floorTook = await floor.create();
      if (i >= 0) {
        providerMs.push(grpcTook);
        applyMs.push(applyTook);
        floorMs.push(floorTook);
      }
    }
  } finally {
    for (const id of grpcIds) await grpc.deleteBucket({ bucketId: id }).catch(() => undefined);
    await untilNoBuckets(grpc).catch(() => undefined);
    await provider.stop();
    for (const id of providerIds) {
      await backend
        .remove({ id, placement: undefined, signal: new AbortController().signal, event: () => {} })
        .catch(() => undefined);
    }
    await floor.cleanUp();
    await backend.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return {
    backend: kind,
    buckets,
    provider: percentiles(providerMs),
    backendApply: percentiles(applyMs),
    floor: percentiles(floorMs),
  };
}

export interface BucketBurstMeasurement {
  readonly buckets: number;
  readonly concurrency: number;
  /** All CreateBucket calls at once (`concurrency` callers) until every bucket is AVAILABLE. */
  readonly providerMs: number;
  /** The same admin and S3 calls made directly with the same concurrency: the mean of floorRunsMs. */
  readonly floorMs: number;
  /** The direct calls' runs, before and after the provider's burst. */
  readonly floorRunsMs: readonly [number, number];
  /** ListBucketClasses latency (one call after another) during the provider's burst. */
  readonly statusP99Ms: number;
  readonly statusCalls: number;
  /** The provider's CPU time over its burst, per bucket. */
  readonly providerCpuMsPerBucket: number;
  /** The bench process's CPU time over the direct calls (the floor's client side), per bucket. */
  readonly floorCpuMsPerBucket: number;
}

/**
 * How often the burst looks whether every bucket is AVAILABLE: one ListBuckets of all of them, as the
 * bucketpoollet's relist does (every 5 s there; finer here, to time the end of the burst).
 */
const BURST_LIST_PERIOD_MS = 100;
/** A burst of `buckets` creates on radosgw through the provider against the direct calls made before and after it. */
export async function measureBucketBurst(
  store: Store,
  buckets: number,
  concurrency: number,
): Promise<BucketBurstMeasurement> {
  const instanceId = `bench${randomBytes(4).toString("hex")}`;
  const stateDir = mkdtempSync(join(tmpdir(), "iri-bench-bucket-burst-"));
  const floor = rgwFloor(store, instanceId);
  const provider = await startBucketProvider("rgw", store, stateDir);
  const grpc = createRuntimeClient(bucket.BucketRuntime, provider.address);
  const ids: string[] = [];
  try {
    // Warm-up (connections, JIT) on both sides, not counted.
    ids.push(await createUntilAvailable(grpc));
    await floor.create();
    // The direct calls run before and after the provider's burst and count as their mean: the host's load
    // moves within seconds here (other work), and a floor on one side only read that drift as the provider's.
    const floorBefore = await floorBurst(floor, buckets, concurrency);
    const providerCpuStart = readCpuMs(provider.pid);
    const providerStart = performance.now();
    const probed = await probeDuring(
      // The bucket runtime has no Status: ListBucketClasses is what the bucketpoollet polls for its pool.
      { runtime: "bucket", address: provider.address },
      burstUntilAvailable(grpc, buckets, concurrency, ids),
    );
    const providerMs = performance.now() - providerStart;
    const providerCpuMs = readCpuMs(provider.pid) - providerCpuStart;
    const floorAfter = await floorBurst(floor, buckets, concurrency);
    return {
      buckets,
      concurrency,
      providerMs,
      floorMs: (floorBefore.ms + floorAfter.ms) / 2,
      floorRunsMs: [floorBefore.ms, floorAfter.ms],
      statusP99Ms: percentile(probed.latencies, 99),
      statusCalls: probed.latencies.length,
      providerCpuMsPerBucket: providerCpuMs / buckets,
      floorCpuMsPerBucket: (floorBefore.cpuMs + floorAfter.cpuMs) / 2 / buckets,
    };
  } finally {
    for (const id of ids) await grpc.deleteBucket({ bucketId: id }).catch(() => undefined);
    await untilNoBuckets(grpc, 300_000).catch(() => undefined);
    await provider.stop();
    await floor.cleanUp();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The direct calls for `buckets` buckets, `concurrency` at a time: wall time and the bench's CPU time. */
async function floorBurst(floor: Floor, buckets: number, concurrency: number) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await withConcurrency(buckets, concurrency, () => floor.create());
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** `buckets` CreateBucket calls from `concurrency` callers, then until one ListBuckets shows them all AVAILABLE. */
async function burstUntilAvailable(
  client: BucketClient,
  buckets: number,
  concurrency: number,
  ids: string[],
  timeoutMs = 120_000,
): Promise<void> {
  const mine = new Set<string>();
  let created = false;
  const creates = withConcurrency(buckets, concurrency, async () => {
    const response = await client.createBucket({
      bucket: create(bucket.BucketSchema, { metadata: {}, spec: { class: "standard" } }),
    });
    const id = response.bucket?.metadata?.id ?? "";
    mine.add(id);
    ids.push(id);
  }).then(() => {
    created = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A failed create ends the burst at once instead of at the deadline.
    await Promise.race([creates, new Promise((r) => setTimeout(r, BURST_LIST_PERIOD_MS))]);
    let available = 0;
    for (const b of (await client.listBuckets({})).buckets) {
      const id = b.metadata?.id ?? "";
      if (!mine.has(id)) continue;
      if (b.status?.state === bucket.BucketState.BUCKET_ERROR) throw new Error(`bucket ${id} went to ERROR`);
      if (b.status?.state === bucket.BucketState.BUCKET_AVAILABLE) available++;
    }
    if (created && available === buckets) return;
    if (Date.now() > deadline)
      throw new Error(`${buckets - available} buckets not AVAILABLE within ${timeoutMs} ms`);
  }
}

/**
 * The provider on the same store, its admin keys in 0600 files (never in argv); `flags` override ours. Its
 * class "standard" has the floors' quota, so that a create makes the same calls as a floor's (user, quota,
 * bucket); the default classes have none, which would spare the provider the quota call.
 */
export function startBucketProvider(kind: "rgw" | "minio", store: Store, dir: string, flags: string[] = []) {
  const accessFile = join(dir, "access-key");
  const secretFile = join(dir, "secret-key");
  const classFile = join(dir, "bucket-classes.json");
  writeFileSync(accessFile, store.accessKey, { mode: 0o600 });
  writeFileSync(secretFile, store.secretKey, { mode: 0o600 });
  writeFileSync(
    classFile,
    JSON.stringify([
      { name: "standard", capabilities: { tps: 104857600, iops: 1000 }, settings: { maxBytes: QUOTA_BYTES } },
    ]),
  );
  return startProvider("bucket", join(dir, "provider"), [
    "--class-file",
    classFile,
    "--backend",
    kind,
    `--${kind}-endpoint`,
    store.endpoint,
    `--${kind}-access-key-file`,
    accessFile,
    `--${kind}-secret-key-file`,
    secretFile,
    "--ops-address",
    "",
    "--log-level",
    "warn",
    ...flags,
  ]);
}

type BucketClient = ReturnType<typeof createRuntimeClient<typeof bucket.BucketRuntime>>;

// Polls every 2 ms: fine enough next to creates of tens of milliseconds.
async function createUntilAvailable(client: BucketClient, timeoutMs = 30_000, pollMs = 2): Promise<string> {
  const created = await client.createBucket({
    bucket: create(bucket.BucketSchema, { metadata: {}, spec: { class: "standard" } }),
  });
  const id = created.bucket?.metadata?.id ?? "";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [b] = (await client.listBuckets({ filter: { id } })).buckets;
    if (b?.status?.state === bucket.BucketState.BUCKET_AVAILABLE) return id;
    if (b?.status?.state === bucket.BucketState.BUCKET_ERROR) throw new Error(`bucket ${id} went to ERROR`);
    if (Date.now() > deadline) throw new Error(`bucket ${id} not AVAILABLE within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function untilNoBuckets(client: BucketClient, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await client.listBuckets({})).buckets.length > 0) {
    if (Date.now() > deadline) throw new Error(`buckets not deleted within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FLOOR_TIMEOUT_MS = 120_000;

interface Floor {
  /** Creates one bucket the minimal way; returns the milliseconds it took. */
  create(): Promise<number>;
  cleanUp(): Promise<void>;
}

function s3(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: { accessKeyId, secretAccessKey },
  });
}

// A user with a key, its quota, and the bucket created with that key.
function rgwFloor(store: Store, instanceId: string): Floor {
  const admin = new RgwAdminClient({
    endpoint: store.endpoint,
    credentials: { accessKeyId: store.accessKey, secretAccessKey: store.secretKey },
    // The floor waits for its answers: a loaded radosgw takes more than the client's default 5 s for some
    // calls of a burst, and a floor that gave up would fail the run instead of measuring it.
    timeoutMs: FLOOR_TIMEOUT_MS,
  });
  const made: { uid: string; name: string }[] = [];
  return {
    async create() {
      const name = `f${randomBytes(8).toString("hex")}`;
      const uid = `floor-${instanceId}-${name}`;
      const start = performance.now();
      const user = await admin.createUser(uid, "bench floor");
      await admin.setUserQuota(uid, { maxSizeBytes: QUOTA_BYTES, maxObjects: -1 });
      const key = user.keys[0];
      if (!key) throw new Error("no key");
      const client = s3(store.endpoint, key.accessKey, key.secretKey);
      await client.send(new CreateBucketCommand({ Bucket: name }));
      client.destroy();
      const took = performance.now() - start;
      made.push({ uid, name });
      return took;
    },
    async cleanUp() {
      for (const { uid, name } of made) {
        await admin.removeBucket(name, { purgeObjects: true }).catch(() => undefined);
        await admin.removeUser(uid, { purgeData: true }).catch(() => undefined);
      }
    },
  };
}

// A policy on the bucket, a user with it, the bucket with its owner tags, its quota.
function minioFloor(store: Store, instanceId: string): Floor {
  const admin = new MinioAdminClient({
    endpoint: store.endpoint,
    credentials: { accessKeyId: store.accessKey, secretAccessKey: store.secretKey },
  });
  const root = s3(store.endpoint, store.accessKey, store.secretKey);
  const made: string[] = [];
  return {
    async create() {
      const name = `f${randomBytes(8).toString("hex")}`;
      const start = performance.now();
      await admin.putPolicy(`floor-${name}`, {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["s3:*"], Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`] },
        ],
      });
      await admin.putUser(`floor-${name}`, randomBytes(30).toString("base64url"), "enabled");
      await admin.setUserPolicy(`floor-${name}`, `floor-${name}`);
      await root.send(new CreateBucketCommand({ Bucket: name }));
      await root.send(
        new PutBucketTaggingCommand({
          Bucket: name,
          Tagging: { TagSet: [{ Key: "owner", Value: instanceId }] },
        }),
      );
      await admin.setBucketQuota(name, QUOTA_BYTES);
      const took = performance.now() - start;
      made.push(name);
      return took;
    },
    async cleanUp() {
      const { DeleteBucketCommand } = await import("@aws-sdk/client-s3");
      for (const name of made) {
        await admin.removeUser(`floor-${name}`).catch(() => undefined);
        await root.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
        await admin.removePolicy(`floor-${name}`).catch(() => undefined);
      }
      root.destroy();
    },
  };
}

function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return { p50: at(0.5), p99: at(0.99) };
}

function quietContext(stateDir: string, instanceId: string): BackendContext {
  const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  return {
    stateDir,
    logger,
    metrics: new Registry(),
    owner: { provider: "bucket-provider", instanceId },
    event: () => {},
    notify: () => {},
    jobs: {
      ensure: () => {
        throw new Error("unused");
      },
      get: () => undefined,
      run: () => Promise.reject(new Error("unused")),
      cancel: () => {},
      forget: () => {},
    },
  };
}
