// The volume provider at the scale of a real pool, on the loopback Ceph cluster:
// - idle-cost-volume: N empty volumes, then the provider's CPU and Ceph CLI calls per idle minute;
// - list-volumes-real-N: ListVolumes of the same N with their access data (monitors, image, the volume's own
//   cephx user and key: what the volumepoollet receives) against the floor of serving the same bytes; bytes
//   per volume and how many fit the poollets' 4 MiB.
// Volumes are empty and small (1 MiB) and created by the provider itself, 16 callers, as a poollet would; the
// pool is the run's own and everything is deleted through the provider at the end (each volume has a cephx
// user of its own, which only the provider's delete removes).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { createRuntimeClient, volume } from "@iri/api";
import type { CallCounter } from "./backend-call-counter.js";
import { initRbdPool } from "./ceph-pool.js";
import { type IdleCost, measureIdleCost } from "./idle-cost.js";
import { type ProviderProcess, startVolumeProvider } from "./provider-process.js";
import { type RawListTiming, timeRawList } from "./raw-list-timing.js";
import { poolletLabels } from "./runtime-list-benchmark.js";
import { withConcurrency } from "./samples.js";
import { deleteAllVolumes } from "./volume-burst.js";

const run = promisify(execFile);
type VolumeClient = Client<typeof volume.VolumeRuntime>;
const CALLERS = 16;
const LIST_PATH = `/${volume.VolumeRuntime.typeName}/${volume.VolumeRuntime.method.listVolumes.name}`;

/** Each figure as soon as it is measured: deleting the volumes afterwards takes as long as making them. */
export interface VolumeScaleReport {
  idle(cost: IdleCost): void;
  /** `createdPerSecond`: volumes acknowledged and AVAILABLE per second through the provider. */
  list(timing: RawListTiming, createdPerSecond: number): void;
}

export interface CephCluster {
  readonly monitors: string;
  readonly keyring: string;
}

export async function measureVolumeScale(
  cluster: CephCluster,
  counter: CallCounter,
  dir: string,
  sizes: { volumes: number; windowMs: number; listIterations: number; idle: boolean },
  cleanUps: Set<() => Promise<void>>,
  report: VolumeScaleReport,
): Promise<void> {
  const suffix = randomBytes(4).toString("hex");
  const pool = `iri-bench-scale-${suffix}`;
  const consumer = `iri-volume-scale-${suffix}`;
  const admin = (tool: string, args: string[]) =>
    run(tool, [
      "--conf",
      "/dev/null",
      "-m",
      cluster.monitors,
      "--id",
      "admin",
      "--keyring",
      cluster.keyring,
      ...args,
    ]);
  const removePool = async () => {
    await admin("ceph", ["osd", "pool", "rm", pool, pool, "--yes-i-really-really-mean-it"]).catch(() => {});
    await admin("ceph", ["auth", "del", `client.${consumer}`]).catch(() => {});
  };
  cleanUps.add(removePool);
  await admin("ceph", ["osd", "pool", "create", pool, "8"]);
  await initRbdPool(admin, pool);

  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, "ceph-admin.key");
  writeFileSync(keyFile, readFileSync(cluster.keyring), { mode: 0o600 });
  const classFile = join(dir, "volume-classes.json");
  writeFileSync(
    classFile,
    JSON.stringify([{ name: "standard", capabilities: { tps: 0, iops: 0 }, settings: { pool } }]),
  );
  const providerDir = join(dir, "provider");
  const start = (flags: readonly string[] = []) =>
    startVolumeProvider(providerDir, [
      ...flags,
      "--backend",
      "ceph",
      "--class-file",
      classFile,
      "--ceph-monitors",
      cluster.monitors,
      "--ceph-admin-key-file",
      keyFile,
      "--ceph-pool",
      pool,
      "--ceph-consumer-id",
      consumer,
      "--overprovisioning-percent",
      "100000",
    ]);
  // The CLI counter counts every process in this tree: the provider's own are those since it started.
  let startedAt = counter.count();
  let provider: ProviderProcess = await start();
  const deleteEverything = async () => {
    const client = createRuntimeClient(volume.VolumeRuntime, provider.address);
    await deleteAllVolumes(client, 60 * 60_000);
  };
  cleanUps.add(deleteEverything);
  try {
    const client = () => createRuntimeClient(volume.VolumeRuntime, provider.address);
    const fillMs = await fill(client(), sizes.volumes);
    const subject = {
      objects: sizes.volumes,
      provider,
      calls: async () => counter.count() - startedAt,
      restart: async (flags?: readonly string[]) => {
        startedAt = counter.count();
        return start(flags);
      },
      // A start reads every image's tags once (the orphan proof); a resync confirms from one listing per pool.
      measurePeriodicSweep: true,
    };
    try {
      if (sizes.idle) report.idle(await measureIdleCost(subject, sizes.windowMs));
    } finally {
      provider = subject.provider;
    }
    const list = await timeRawList(provider.socketPath, LIST_PATH, sizes.listIterations, dir);
    report.list(list, (sizes.volumes * 1000) / fillMs);
  } finally {
    await deleteEverything().catch((error: unknown) =>
      console.error(`volume scale: not every volume was deleted: ${error}`),
    );
    cleanUps.delete(deleteEverything);
    await provider.stop();
    await removePool();
    cleanUps.delete(removePool);
  }
}

/**
 * Creates `count` volumes (empty, 1 MiB, poollet labels), `CALLERS` at a time, and waits until every one is
 * AVAILABLE; resolves to the milliseconds that took.
 */
async function fill(client: VolumeClient, count: number): Promise<number> {
  const started = performance.now();
  await untilServing(client);
  await withConcurrency(count, CALLERS, (i) =>
    client.createVolume({
      volume: {
        metadata: { labels: poolletLabels("volume", i) },
        spec: { class: "standard", resources: { storageBytes: 1n << 20n } },
      },
    }),
  );
  const deadline = Date.now() + 60 * 60_000;
  for (;;) {
    const { volumes } = await client.listVolumes({});
    const available = volumes.filter((v) => v.status?.state === volume.VolumeState.VOLUME_AVAILABLE).length;
    const failed = volumes.find((v) => v.status?.state === volume.VolumeState.VOLUME_ERROR);
    if (failed) throw new Error(`volume ${failed.metadata?.id} went to ERROR`);
    if (available >= count) {
      const ms = performance.now() - started;
      console.log(`  ${count} volumes created and AVAILABLE in ${(ms / 1000).toFixed(1)} s`);
      return ms;
    }
    if (Date.now() > deadline)
      throw new Error(`${count - available} of ${count} volumes not AVAILABLE within an hour`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Status answers Unavailable until the provider has read its pool's capacity (a fresh pool takes a while). */
async function untilServing(client: VolumeClient): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await client.status({});
      return;
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.Unavailable) || Date.now() > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
