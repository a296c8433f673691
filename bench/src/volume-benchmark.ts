// Volume provider on the ceph backend against the loopback Ceph cluster and registry (issue 7 targets):
// - volume-population: first volume from an IronCore image (registry → cache image → clone → AVAILABLE) as
//   throughput, against the floor of a plain registry GET of the same blob piped into `rbd import -`;
// - volume-clones: volumes from the cached image, one after another, median create → AVAILABLE, against a
//   bare `rbd clone` of the same snapshot.
// The rootfs is incompressible, non-zero data, so the sparse writer gains nothing over the floor.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { createRuntimeClient, volume } from "@iri/api";
import { pushImage } from "@iri/oci/testing";
import { startVolumeProvider } from "./provider-process.js";
import { type Summary, summarize, timed as timedValue } from "./samples.js";

const run = promisify(execFile);

export const VOLUME_TARGETS = { populationRatio: 0.8, cloneMedianMs: 1000 } as const;

export interface VolumeMeasurement {
  readonly rootfsBytes: number;
  readonly populationMs: number;
  readonly importFloorMs: number;
  readonly clones: Summary;
  readonly cloneFloor: Summary;
}

interface Cluster {
  readonly monitors: string;
  readonly keyring: string;
  readonly registry: string;
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
  sizes: { rootfsBytes: number; clones: number },
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
  await admin("ceph", ["osd", "pool", "create", pool, "8"]);
  await admin("rbd", ["pool", "init", pool]);
  try {
    const rootfs = randomBytes(sizes.rootfsBytes);
    const image = await pushImage(cluster.registry, `iri-bench/rootfs-${suffix}`, "v1", {
      layers: [{ mediaType: "application/vnd.ironcore.image.rootfs", data: rootfs }],
    });

    // The floor: the same bytes as they come from the registry (a plain GET), straight into `rbd import -`.
    const blobUrl = `http://${cluster.registry}/v2/iri-bench/rootfs-${suffix}/blobs/${image.layers[0]?.digest}`;
    const importFloorMs = await timed(async () => {
      const response = await fetch(blobUrl);
      if (!response.ok || !response.body) throw new Error(`GET ${blobUrl}: HTTP ${response.status}`);
      await pipeInto(cluster, ["import", "-", `${pool}/floor-import`], Readable.fromWeb(response.body));
    });
    await admin("rbd", ["rm", `${pool}/floor-import`]);

    const keyFile = join(dir, "ceph-admin.key");
    writeFileSync(keyFile, readFileSync(cluster.keyring), { mode: 0o600 });
    const classFile = join(dir, "volume-classes.json");
    writeFileSync(
      classFile,
      JSON.stringify([{ name: "standard", capabilities: { tps: 0, iops: 0 }, settings: { pool } }]),
    );
    const provider = await startVolumeProvider(join(dir, "volume"), [
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
    try {
      const client = createRuntimeClient(volume.VolumeRuntime, provider.address);
      const bytes = BigInt(Math.ceil(sizes.rootfsBytes / 2 ** 20) + 16) << 20n;
      const createAvailable = async () => {
        const { volume: created } = await client.createVolume({
          volume: {
            metadata: { labels: {} },
            spec: {
              class: "standard",
              resources: { storageBytes: bytes },
              volumeDataSource: { imageDataSource: { image: image.reference, architecture: "amd64" } },
            },
          },
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
      const populationMs = await timed(createAvailable);
      const clones: number[] = [];
      for (let i = 0; i < sizes.clones; i++) clones.push(await timed(createAvailable));

      const names: string[] = JSON.parse((await admin("rbd", ["ls", pool, "--format", "json"])).stdout);
      const cache = names.find((name) => name.startsWith("iri-img-"));
      if (!cache) throw new Error(`no cache image in ${pool}`);
      const cloneFloor: number[] = [];
      for (let i = 0; i < sizes.clones; i++) {
        cloneFloor.push(
          await timed(() => admin("rbd", ["clone", `${pool}/${cache}@iri-base`, `${pool}/floor-clone-${i}`])),
        );
      }
      return {
        rootfsBytes: sizes.rootfsBytes,
        populationMs,
        importFloorMs,
        clones: summarize(clones),
        cloneFloor: summarize(cloneFloor),
      };
    } finally {
      await provider.stop();
    }
  } finally {
    await admin("ceph", ["osd", "pool", "rm", pool, pool, "--yes-i-really-really-mean-it"]).catch(() => {});
    await admin("ceph", ["auth", "del", `client.${consumer}`]).catch(() => {});
  }
}

/** `PASS|MISS` lines in the format of the other targets. */
export function volumeVerdictLines(m: VolumeMeasurement): string[] {
  const mibs = (ms: number) => `${(m.rootfsBytes / 2 ** 20 / (ms / 1000)).toFixed(1)} MiB/s`;
  const ratio = m.importFloorMs / m.populationMs;
  const cloneRatio = m.clones.median / m.cloneFloor.median;
  const verdict = (pass: boolean) => (pass ? "PASS" : "MISS");
  return [
    `${verdict(ratio >= VOLUME_TARGETS.populationRatio)} volume-population: ${ratio.toFixed(2)}× (${mibs(m.populationMs)} ` +
      `registry → AVAILABLE vs registry GET | rbd import ${mibs(m.importFloorMs)}, ${(m.rootfsBytes / 2 ** 20).toFixed(0)} MiB) ` +
      `(target ≥ ${VOLUME_TARGETS.populationRatio}×)`,
    `${verdict(m.clones.median <= VOLUME_TARGETS.cloneMedianMs)} volume-clones-${m.clones.n}: median ` +
      `${m.clones.median.toFixed(0)} ms to AVAILABLE (max ${m.clones.max.toFixed(0)} ms; bare rbd clone ` +
      `${m.cloneFloor.median.toFixed(0)} ms, ${cloneRatio.toFixed(1)}×) (target ≤ ${VOLUME_TARGETS.cloneMedianMs} ms)`,
  ];
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
