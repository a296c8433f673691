// list-volumes-10k, list-buckets-10k: a volume or bucket provider (noop backend) filled with 10,000 records,
// then its List timed against the floor of serving the very same response bytes, as list-10k does for
// machines. Raw HTTP/2 on both sides: what a Go poollet sees, the client's decoding left out.
import { join } from "node:path";
import { bucket, createRuntimeClient, volume } from "@iri/api";
import { type FloorServer, startFloorServer } from "./floor-server.js";
import { waitUntilIdle } from "./proc-stats.js";
import { startProvider } from "./provider-process.js";
import { EMPTY_MESSAGE, RawGrpcClient } from "./raw-grpc.js";
import { type Summary, summarize, timed } from "./samples.js";

export type ListedRuntime = "volume" | "bucket";

export interface RuntimeListMeasurement {
  runtime: ListedRuntime;
  records: number;
  responseBytes: number;
  provider: Summary;
  floor: Summary;
}

const CALLERS = 64;
const WARMUP_CALLS = 3;

const listPaths: Record<ListedRuntime, string> = {
  volume: `/${volume.VolumeRuntime.typeName}/${volume.VolumeRuntime.method.listVolumes.name}`,
  bucket: `/${bucket.BucketRuntime.typeName}/${bucket.BucketRuntime.method.listBuckets.name}`,
};

/** Creates `records` objects the way the poollets do (their labels), `CALLERS` at a time. */
async function fill(runtime: ListedRuntime, address: string, records: number): Promise<void> {
  let next = 0;
  // One client (one connection) for every call, as a poollet has.
  const volumes = createRuntimeClient(volume.VolumeRuntime, address);
  const buckets = createRuntimeClient(bucket.BucketRuntime, address);
  const one = async (i: number) => {
    const labels = {
      [`${runtime}poollet.ironcore.dev/${runtime}-uid`]: `uid-${i}`,
      [`${runtime}poollet.ironcore.dev/${runtime}-namespace`]: "default",
      [`${runtime}poollet.ironcore.dev/${runtime}-name`]: `${runtime}-${i}`,
    };
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
  let floor: FloorServer | undefined;
  const raws: RawGrpcClient[] = [];
  try {
    await fill(runtime, provider.address, records);
    // Every record realised (the noop backend answers at once) and the provider quiet before timing.
    await waitUntilIdle(provider.pid, { timeoutMs: 600_000 });
    const providerRaw = new RawGrpcClient(provider.socketPath);
    raws.push(providerRaw);
    const path = listPaths[runtime];
    const captured = await providerRaw.call(path, EMPTY_MESSAGE);
    const floorSocket = join(dir, `${runtime}-floor.sock`);
    floor = await startFloorServer({ socketPath: floorSocket, path, response: captured });
    const floorRaw = new RawGrpcClient(floorSocket);
    raws.push(floorRaw);
    for (let i = 0; i < WARMUP_CALLS; i++) {
      await providerRaw.call(path, EMPTY_MESSAGE);
      await floorRaw.call(path, EMPTY_MESSAGE);
    }
    const samples = { provider: [] as number[], floor: [] as number[] };
    for (let i = 0; i < iterations; i++) {
      // Alternating which side goes first spreads drift over both.
      const order = i % 2 === 0 ? (["provider", "floor"] as const) : (["floor", "provider"] as const);
      for (const side of order) {
        const client = side === "provider" ? providerRaw : floorRaw;
        samples[side].push((await timed(() => client.call(path, EMPTY_MESSAGE))).ms);
      }
    }
    return {
      runtime,
      records,
      responseBytes: captured.body.length,
      provider: summarize(samples.provider),
      floor: summarize(samples.floor),
    };
  } finally {
    for (const raw of raws) raw.close();
    await floor?.close();
    await provider.stop();
  }
}
