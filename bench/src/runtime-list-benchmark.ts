// list-volumes-10k, list-buckets-10k: a volume or bucket provider (noop backend) filled with 10,000 records,
// then its List timed against the floor of serving the very same response bytes, as list-10k does for
// machines. Raw HTTP/2 on both sides: what a Go poollet sees, the client's decoding left out.
import { join } from "node:path";
import { bucket, createRuntimeClient, volume } from "@iri/api";
import { waitUntilIdle } from "./proc-stats.js";
import { startProvider } from "./provider-process.js";
import { timeRawList } from "./raw-list-timing.js";
import type { Summary } from "./samples.js";

export type ListedRuntime = "volume" | "bucket";

export interface RuntimeListMeasurement {
  runtime: ListedRuntime;
  records: number;
  responseBytes: number;
  provider: Summary;
  floor: Summary;
}

const CALLERS = 64;

const listPaths: Record<ListedRuntime, string> = {
  volume: `/${volume.VolumeRuntime.typeName}/${volume.VolumeRuntime.method.listVolumes.name}`,
  bucket: `/${bucket.BucketRuntime.typeName}/${bucket.BucketRuntime.method.listBuckets.name}`,
};

/** The labels a volume- or bucketpoollet puts on the i-th object it creates. */
export function poolletLabels(runtime: ListedRuntime, i: number): Record<string, string> {
  return {
    [`${runtime}poollet.ironcore.dev/${runtime}-uid`]: `uid-${i}`,
    [`${runtime}poollet.ironcore.dev/${runtime}-namespace`]: "default",
    [`${runtime}poollet.ironcore.dev/${runtime}-name`]: `${runtime}-${i}`,
  };
}

/** Creates `records` objects the way the poollets do (their labels), `CALLERS` at a time. */
async function fill(runtime: ListedRuntime, address: string, records: number): Promise<void> {
  let next = 0;
  // One client (one connection) for every call, as a poollet has.
  const volumes = createRuntimeClient(volume.VolumeRuntime, address);
  const buckets = createRuntimeClient(bucket.BucketRuntime, address);
  const one = async (i: number) => {
    const labels = poolletLabels(runtime, i);
    if (runtime === "volume") {
      await volumes.createVolume({
        volume: { metadata: { labels }, spec: { class: "standard", resources: { storageBytes: 1n << 30n } } },
      });
    } else {
      await buckets.createBucket({
        bucket: { metadata: { labels }, spec: { class: "standard" } },
      });
    }
  };
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < records) await one(next++);
    }),
  );
}

export async function measureRuntimeList(
  runtime: ListedRuntime,
  records: number,
  iterations: number,
  dir: string,
): Promise<RuntimeListMeasurement> {
  const flags = ["--backend", "noop", "--resync-period-ms", "0"];
  if (runtime === "volume") flags.push("--noop-capacity-bytes", String(2 ** 52));
  const provider = await startProvider(runtime, join(dir, runtime), [
    "--ops-address",
    "",
    "--log-level",
    "warn",
    ...flags,
  ]);
  try {
    await fill(runtime, provider.address, records);
    // Every record realised (the noop backend answers at once) and the provider quiet before timing.
    await waitUntilIdle(provider.pid, { timeoutMs: 600_000 });
    const timing = await timeRawList(
      provider.socketPath,
      listPaths[runtime],
      iterations,
      dir,
      `${runtime}-floor.sock`,
    );
    return { runtime, records, ...timing };
  } finally {
    await provider.stop();
  }
}
