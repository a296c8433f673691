// Volume provider on the ceph backend against the loopback Ceph cluster and registry (the volume targets of DESIGN §6):
// - volume-population: first volume from an IronCore image (registry → cache image → clone → AVAILABLE) as
//   throughput, against the floor of a plain registry GET of the same blob piped into `rbd import -`;
// - volume-clones: volumes from the cached image, one after another, median create → AVAILABLE, against a
//   bare `rbd clone` of the same snapshot;
// - volume-burst-*: pool scale, bursts of volumes from the cached image and empty ones (volume-burst.ts);
// - volume-restart: kill -9 of the provider holding every burst volume, to serving again.
// Population runs twice: an incompressible rootfs without zero runs (sparse writing gains nothing over the
// floor) and a half-zeros one (a typical filesystem, where the floor's `rbd import` skips the zeros too).
import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { createRuntimeClient, volume } from "@iri/api";
import { pushImage } from "@iri/oci/testing";
import { initRbdPool } from "./ceph-pool.js";
import { startVolumeProvider } from "./provider-process.js";
import { type Summary, summarize, timed as timedValue } from "./samples.js";
import { type BurstMeasurement, createVolume, deleteAllVolumes, measureVolumeBurst } from "./volume-burst.js";

const run = promisify(execFile);

export const VOLUME_TARGETS = { cloneMedianMs: 1000, restartMs: 1000, statusP99Ms: 50 } as const;

export interface PopulationMeasurement {
  /** "random": incompressible, no zero runs; "half-zeros": every other 1 MiB is zeros, as a typical rootfs. */
  readonly kind: "random" | "half-zeros";
  readonly rootfsBytes: number;
  readonly populationMs: number;
  readonly importFloorMs: number;
}

export interface VolumeMeasurement {
  readonly rootfsBytes: number;
  readonly populations: readonly PopulationMeasurement[];
  readonly clones: Summary;
  readonly cloneFloor: Summary;
  /** `rbd clone` followed by `ceph auth get-or-create` of a user with a volume's caps: what a volume needs at least. */
  readonly cloneIdentityFloor: Summary;
  /** Absent with --quick's sizes of zero. */
  readonly cloneBurst?: BurstMeasurement;
  readonly emptyBurst?: BurstMeasurement;
  /** kill -9 of the provider holding every burst volume, to its first answer after the restart. */
  readonly restartMs: number;
  readonly volumesAtRestart: number;
}

export const POPULATION_TARGETS = { random: 0.8, "half-zeros": 1 } as const;
export const BURST_TARGET = 1.5;

interface Cluster {
  readonly monitors: string;
  readonly keyring: string;
  readonly registry: string;
}

/** Pools this process made and has not removed yet: an interrupted run removes them on its way out. */
const openPools = new Set<{ pool: string; cluster: Cluster }>();

/** Removes the pools of a run cut short (Ctrl-C), synchronously: the process exits right after. */
export function removeOpenPoolsSync(): void {
  for (const { pool, cluster } of openPools) {
    spawnSync(
      "ceph",
      ["--conf", "/dev/null", "-m", cluster.monitors, "--id", "admin", "--keyring", cluster.keyring].concat([
        "osd",
        "pool",
        "rm",
        pool,
        pool,
        "--yes-i-really-really-mean-it",
      ]),
      { stdio: "ignore", timeout: 30_000 },
    );
  }
  openPools.clear();
}

/** The services' environment, or the reason the volume benchmarks cannot run. */
export function volumeBenchEnv(): Cluster | string {
  const { CEPH_MON_HOST: monitors, CEPH_ADMIN_KEYRING: keyring, REGISTRY_ADDR: registry } = process.env;
  if (!monitors || !keyring || !registry) {
    return "CEPH_MON_HOST, CEPH_ADMIN_KEYRING and REGISTRY_ADDR are not set (source <(bash scripts/services.sh env))";
  }
  return { monitors, keyring, registry };
}

export async function measureVolumes(
  cluster: Cluster,
  dir: string,
  sizes: { rootfsBytes: number; clones: number; burst: number; burstConcurrency: number },
): Promise<VolumeMeasurement> {
  const suffix = randomBytes(4).toString("hex");
  const pool = `iri-bench-${suffix}`;
  const consumer = `iri-volume-bench-${suffix}`;
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
  openPools.add({ pool, cluster });
  const floorUsers: string[] = [];
  await admin("ceph", ["osd", "pool", "create", pool, "8"]);
  await initRbdPool(admin, pool);
  try {
    const rootfsOf = {
      random: randomBytes(sizes.rootfsBytes),
      "half-zeros": halfZeros(sizes.rootfsBytes),
    } as const;
    const images = {} as Record<PopulationMeasurement["kind"], { reference: string; floorMs: number }>;
    for (const kind of ["random", "half-zeros"] as const) {
      const repository = `iri-bench/rootfs-${kind}-${suffix}`;
      const pushed = await pushImage(cluster.registry, repository, "v1", {
        layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: rootfsOf[kind] }],
      });
      // The floor: the same bytes as they come from the registry (a plain GET), straight into `rbd import -`.
      const blobUrl = `http://${cluster.registry}/v2/${repository}/blobs/${pushed.layers[0]?.digest}`;
      const floorMs = await timed(async () => {
        const response = await fetch(blobUrl);
        if (!response.ok || !response.body) throw new Error(`GET ${blobUrl}: HTTP ${response.status}`);
        await pipeInto(cluster, ["import", "-", `${pool}/floor-import`], Readable.fromWeb(response.body));
      });
      await admin("rbd", ["rm", `${pool}/floor-import`]);
      images[kind] = { reference: pushed.reference, floorMs };
    }

    const keyFile = join(dir, "ceph-admin.key");
    writeFileSync(keyFile, readFileSync(cluster.keyring), { mode: 0o600 });
    const classFile = join(dir, "volume-classes.json");
    writeFileSync(
      classFile,
      JSON.stringify([{ name: "standard", capabilities: { tps: 0, iops: 0 }, settings: { pool } }]),
    );
    const providerFlags = [
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
    ];
    let provider = await startVolumeProvider(join(dir, "volume"), providerFlags);
    try {
      const client = createRuntimeClient(volume.VolumeRuntime, provider.address);
      // The provider reads its pool's capacity after it serves; Status waits for a reading, so that the first
      // timed create is admitted at once instead of timing the provider's start.
      await client.status({}, { timeoutMs: 120_000 });
      const bytes = BigInt(Math.ceil(sizes.rootfsBytes / 2 ** 20) + 16) << 20n;
      const createAvailable = async (reference: string) => {
        const { volume: created } = await createVolume(client, {
          class: "standard",
          resources: { storageBytes: bytes },
          volumeDataSource: { imageDataSource: { image: reference, architecture: "amd64" } },
        });
        const id = created?.metadata?.id as string;
        const deadline = Date.now() + 600_000;
        for (;;) {
          const [found] = (await client.listVolumes({ filter: { id } })).volumes;
          if (found?.status?.state === volume.VolumeState.VOLUME_AVAILABLE) return;
          if (found?.status?.state === volume.VolumeState.VOLUME_ERROR || Date.now() > deadline) {
            throw new Error(`volume ${id} did not become AVAILABLE:\n${provider.output()}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      const populations: PopulationMeasurement[] = [];
      for (const kind of ["random", "half-zeros"] as const) {
        const { reference, floorMs } = images[kind];
        populations.push({
          kind,
          rootfsBytes: sizes.rootfsBytes,
          populationMs: await timed(() => createAvailable(reference)),
          importFloorMs: floorMs,
        });
      }
      const clones: number[] = [];
      for (let i = 0; i < sizes.clones; i++)
        clones.push(await timed(() => createAvailable(images.random.reference)));

      const names: string[] = JSON.parse((await admin("rbd", ["ls", pool, "--format", "json"])).stdout);
      // Either cache image will do: both are the same size, and a clone's cost does not depend on the data.
      const cache = names.find((name) => name.startsWith("iri-img-"));
      if (!cache) throw new Error(`no cache image in ${pool}`);
      const cloneFloor: number[] = [];
      for (let i = 0; i < sizes.clones; i++) {
        cloneFloor.push(
          await timed(() => admin("rbd", ["clone", `${pool}/${cache}@iri-base`, `${pool}/floor-clone-${i}`])),
        );
      }
      // The same clone, then its own cephx user made directly, with caps of a volume's form (its image's
      // objects, the parent's read-only): the two calls every volume from the cache needs at least.
      const parentId = JSON.parse(
        (await admin("rbd", ["info", `${pool}/${cache}`, "--format", "json"])).stdout,
      ).id;
      const cloneIdentityFloor: number[] = [];
      for (let i = 0; i < sizes.clones; i++) {
        const image = `floor-identity-${i}`;
        const user = `client.${consumer}-floor-${i}`;
        floorUsers.push(user);
        cloneIdentityFloor.push(
          await timed(async () => {
            await admin("rbd", ["clone", `${pool}/${cache}@iri-base`, `${pool}/${image}`]);
            await admin("ceph", [
              "auth",
              "get-or-create",
              user,
              "mon",
              "profile rbd",
              "osd",
              [
                `allow rwx pool=${pool} object_prefix rbd_data.${image}`,
                `allow rwx pool=${pool} object_prefix rbd_header.${image}`,
                `allow rx pool=${pool} object_prefix rbd_id.${image}`,
                `allow rx pool=${pool} object_prefix rbd_header.${parentId}`,
                `allow rx pool=${pool} object_prefix rbd_data.${parentId}`,
              ].join(", "),
            ]);
          }),
        );
      }

      let cloneBurst: BurstMeasurement | undefined;
      let emptyBurst: BurstMeasurement | undefined;
      if (sizes.burst > 0) {
        const concurrency = sizes.burstConcurrency;
        cloneBurst = await measureVolumeBurst(client, {
          address: provider.address,
          providerPid: provider.pid,
          volumes: sizes.burst,
          concurrency,
          spec: {
            class: "standard",
            resources: { storageBytes: bytes },
            volumeDataSource: { imageDataSource: { image: images.random.reference, architecture: "amd64" } },
          },
          floor: (i) =>
            admin("rbd", ["clone", `${pool}/${cache}@iri-base`, `${pool}/floor-burst-clone-${i}`]),
        });
        emptyBurst = await measureVolumeBurst(client, {
          address: provider.address,
          providerPid: provider.pid,
          volumes: sizes.burst,
          concurrency,
          spec: { class: "standard", resources: { storageBytes: 16n << 20n } },
          floor: (i) => admin("rbd", ["create", "--size", "16M", `${pool}/floor-burst-empty-${i}`]),
        });
      }

      // Serving again after kill -9, with every volume made so far in the store.
      const volumesAtRestart = (await client.listVolumes({})).volumes.length;
      await provider.kill9();
      const restartMs = await timed(async () => {
        provider = await startVolumeProvider(join(dir, "volume"), providerFlags);
      });
      const restarted = createRuntimeClient(volume.VolumeRuntime, provider.address);
      await deleteAllVolumes(restarted, 15 * 60_000).catch((error: unknown) =>
        console.log(`cleanup: ${error instanceof Error ? error.message : String(error)}`),
      );
      return {
        rootfsBytes: sizes.rootfsBytes,
        populations,
        clones: summarize(clones),
        cloneFloor: summarize(cloneFloor),
        cloneIdentityFloor: summarize(cloneIdentityFloor),
        ...(cloneBurst ? { cloneBurst } : {}),
        ...(emptyBurst ? { emptyBurst } : {}),
        restartMs,
        volumesAtRestart,
      };
    } finally {
      await provider.stop();
    }
  } finally {
    await admin("ceph", ["osd", "pool", "rm", pool, pool, "--yes-i-really-really-mean-it"]).catch(() => {});
    for (const open of openPools) if (open.pool === pool) openPools.delete(open);
    for (const user of [`client.${consumer}`, ...floorUsers])
      await admin("ceph", ["auth", "del", user]).catch(() => {});
  }
}

/** `PASS|MISS` lines in the format of the other targets. */
export function volumeVerdictLines(m: VolumeMeasurement): string[] {
  const verdict = (pass: boolean) => (pass ? "PASS" : "MISS");
  const lines: string[] = [];
  for (const p of m.populations) {
    const mibs = (ms: number) => `${(p.rootfsBytes / 2 ** 20 / (ms / 1000)).toFixed(1)} MiB/s`;
    const ratio = p.importFloorMs / p.populationMs;
    const target = POPULATION_TARGETS[p.kind];
    lines.push(
      `${verdict(ratio >= target)} volume-population${p.kind === "random" ? "" : `-${p.kind}`}: ${ratio.toFixed(2)}× ` +
        `(${mibs(p.populationMs)} registry → AVAILABLE vs registry GET | rbd import ${mibs(p.importFloorMs)}, ` +
        `${(p.rootfsBytes / 2 ** 20).toFixed(0)} MiB ${p.kind}) (target ≥ ${target}×)`,
    );
  }
  const cloneRatio = m.clones.median / m.cloneFloor.median;
  const identityRatio = m.clones.median / m.cloneIdentityFloor.median;
  lines.push(
    `${verdict(m.clones.median <= VOLUME_TARGETS.cloneMedianMs)} volume-clones-${m.clones.n}: median ` +
      `${m.clones.median.toFixed(0)} ms to AVAILABLE (max ${m.clones.max.toFixed(0)} ms; bare rbd clone ` +
      `${m.cloneFloor.median.toFixed(0)} ms, ${cloneRatio.toFixed(1)}×; rbd clone + ceph auth get-or-create ` +
      `${m.cloneIdentityFloor.median.toFixed(0)} ms, ${identityRatio.toFixed(1)}×) ` +
      `(target ≤ ${VOLUME_TARGETS.cloneMedianMs} ms)`,
  );
  for (const [name, burst, floor] of [
    ["volume-burst-clones", m.cloneBurst, "rbd clone"],
    ["volume-burst-empty", m.emptyBurst, "rbd create"],
  ] as const) {
    if (!burst) continue;
    const ratio = burst.providerMs / burst.floorMs;
    lines.push(
      `${verdict(ratio <= BURST_TARGET)} ${name}-${burst.volumes}: ${ratio.toFixed(2)}× (${(burst.providerMs / 1000).toFixed(1)} s ` +
        `until all AVAILABLE vs ${(burst.floorMs / 1000).toFixed(1)} s for bare ${floor}, ${burst.concurrency} callers) ` +
        `(target ≤ ${BURST_TARGET}×)`,
    );
    lines.push(
      `INFO ${name}-${burst.volumes}-cpu: ${(burst.providerCpuMs / burst.volumes).toFixed(0)} ms CPU per volume ` +
        `(the provider's own ${(burst.providerOwnCpuMs / burst.volumes).toFixed(0)} ms, with its Status answers, ` +
        `its tools' ${((burst.providerCpuMs - burst.providerOwnCpuMs) / burst.volumes).toFixed(0)} ms) vs ` +
        `${(burst.floorCpuMs / burst.volumes).toFixed(0)} ms per bare ${floor}, ` +
        `${(burst.providerCpuMs / burst.floorCpuMs).toFixed(2)}×`,
    );
  }
  const statusP99 = Math.max(m.cloneBurst?.statusP99Ms ?? 0, m.emptyBurst?.statusP99Ms ?? 0);
  if (m.cloneBurst) {
    lines.push(
      `${verdict(statusP99 <= VOLUME_TARGETS.statusP99Ms)} status-p99-volume: ${statusP99.toFixed(1)} ms ` +
        `(the worse of both bursts) (target ≤ ${VOLUME_TARGETS.statusP99Ms} ms)`,
    );
  }
  lines.push(
    `${verdict(m.restartMs <= VOLUME_TARGETS.restartMs)} volume-restart: ${m.restartMs.toFixed(0)} ms from kill -9 ` +
      `to serving with ${m.volumesAtRestart} volumes (target ≤ ${VOLUME_TARGETS.restartMs} ms)`,
  );
  return lines;
}

/** Every other MiB random, the rest zeros: what `rbd import --sparse-size` and import-diff skip. */
function halfZeros(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += 2 << 20) randomBytes(Math.min(1 << 20, bytes - at)).copy(data, at);
  return data;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  return (await timedValue(work)).ms;
}

function pipeInto(cluster: Cluster, args: string[], data: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "rbd",
      ["--conf", "/dev/null", "-m", cluster.monitors, "--id", "admin", "--keyring", cluster.keyring, ...args],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`rbd ${args[0]} exited ${code}`)),
    );
    if (child.stdin) data.pipe(child.stdin);
  });
}
