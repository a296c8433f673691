// idle-cost-bucket: the bucket provider (rgw backend) holding 1,000 buckets on the loopback radosgw, then its
// CPU and object-store calls per idle minute. The calls are the provider's own count,
// `iri_bucket_store_requests_total` on its ops endpoint (every admin and S3 request goes through it).
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { bucket, createRuntimeClient } from "@iri/api";
import { type Store, startBucketProvider } from "./bucket-benchmark.js";
import { type IdleCost, measureIdleCost } from "./idle-cost.js";
import type { ProviderProcess } from "./provider-process.js";
import { poolletLabels } from "./runtime-list-benchmark.js";
import { withConcurrency } from "./samples.js";

const CALLERS = 16;

export async function measureBucketIdle(
  store: Store,
  dir: string,
  sizes: { objects: number; windowMs: number },
  cleanUps: Set<() => Promise<void>>,
): Promise<IdleCost> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const start = () => startBucketProvider("rgw", store, dir, ["--ops-address", `127.0.0.1:${port}`]);
  let provider: ProviderProcess = await start();
  const deleteEverything = () => deleteAllBuckets(provider.address);
  cleanUps.add(deleteEverything);
  try {
    await fill(provider.address, sizes.objects);
    const subject = { objects: sizes.objects, provider, calls: () => storeCalls(port), restart: start };
    try {
      return await measureIdleCost(subject, sizes.windowMs);
    } finally {
      provider = subject.provider;
    }
  } finally {
    await deleteEverything().catch((error: unknown) =>
      console.error(`bucket idle: not every bucket was deleted: ${error}`),
    );
    cleanUps.delete(deleteEverything);
    await provider.stop();
  }
}

/** Creates `count` buckets (poollet labels), `CALLERS` at a time, and waits until every one is AVAILABLE. */
async function fill(address: string, count: number): Promise<void> {
  const client = createRuntimeClient(bucket.BucketRuntime, address);
  await withConcurrency(count, CALLERS, (i) =>
    client.createBucket({
      bucket: { metadata: { labels: poolletLabels("bucket", i) }, spec: { class: "standard" } },
    }),
  );
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const { buckets } = await client.listBuckets({});
    const failed = buckets.find((b) => b.status?.state === bucket.BucketState.BUCKET_ERROR);
    if (failed) throw new Error(`bucket ${failed.metadata?.id} went to ERROR`);
    if (buckets.every((b) => b.status?.state === bucket.BucketState.BUCKET_AVAILABLE)) return;
    if (Date.now() > deadline) throw new Error("buckets not AVAILABLE within 30 min");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function deleteAllBuckets(address: string): Promise<void> {
  const client = createRuntimeClient(bucket.BucketRuntime, address);
  const { buckets } = await client.listBuckets({});
  await withConcurrency(buckets.length, CALLERS, (i) =>
    client.deleteBucket({ bucketId: buckets[i]?.metadata?.id as string }).catch(() => undefined),
  );
  const deadline = Date.now() + 30 * 60_000;
  while ((await client.listBuckets({})).buckets.length > 0) {
    if (Date.now() > deadline) throw new Error("buckets not deleted within 30 min");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The sum of `iri_bucket_store_requests_total` over every operation and outcome. */
async function storeCalls(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("iri_bucket_store_requests_total{"))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** A TCP port free now on 127.0.0.1 (the ops endpoint needs a fixed one, and parallel runs must not collide). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
