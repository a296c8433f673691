// Volumes at pool scale: a burst of creates issued at once (as a volumepoollet with many workers issues them)
// until every volume is AVAILABLE, against the floor of the same number of bare `rbd` calls with the same
// concurrency; and Status latency during the burst.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { readChildrenCpuMs, readCpuMs } from "./proc-stats.js";
import { withConcurrency } from "./samples.js";
import { percentile, probeDuring } from "./status-probe.js";

export interface BurstMeasurement {
  readonly volumes: number;
  readonly concurrency: number;
  /** First CreateVolume to every volume AVAILABLE. */
  readonly providerMs: number;
  /** The same number of bare rbd calls, `concurrency` at a time. */
  readonly floorMs: number;
  /**
   * CPU of the provider and every tool it ran (its own, its reaped children's) over the burst, and of the
   * floor's tools: on a loaded shared host the times swing with the load, CPU per volume does not.
   */
  readonly providerCpuMs: number;
  /** The part of `providerCpuMs` that is the provider process's own (all its threads), the rest its tools'. */
  readonly providerOwnCpuMs: number;
  readonly floorCpuMs: number;
  readonly statusP99Ms: number;
  readonly statusCalls: number;
}

type VolumeClient = Client<typeof volume.VolumeRuntime>;

export interface BurstPlan {
  /** The provider's address, for the Status probe's own connection. */
  readonly address: string;
  readonly volumes: number;
  readonly concurrency: number;
  readonly spec: MessageInitShape<typeof volume.VolumeSpecSchema>;
  /** The provider's process, whose CPU (with its tools') is read around the burst. */
  readonly providerPid: number;
  /** One floor call (e.g. `rbd clone`) for index i. */
  readonly floor: (index: number) => Promise<unknown>;
}

const POLL_MS = 100;
/** The provider's long-lived `ceph` processes quit after 5 s idle; their CPU counts once they are reaped. */
const TOOLS_REAPED_MS = 6_000;

/** Runs the provider's burst, then the floor's; the volumes made are left for the caller to delete. */
export async function measureVolumeBurst(client: VolumeClient, plan: BurstPlan): Promise<BurstMeasurement> {
  const ids: string[] = [];
  const ownBefore = readCpuMs(plan.providerPid);
  const toolsBefore = readChildrenCpuMs(plan.providerPid);
  const start = performance.now();
  const probed = await probeDuring(
    { runtime: "volume", address: plan.address },
    (async () => {
      await withConcurrency(plan.volumes, plan.concurrency, async () => {
        const { volume: created } = await createVolume(client, plan.spec);
        ids.push(created?.metadata?.id as string);
      });
      await untilAvailable(client, ids, 15 * 60_000);
    })(),
  );
  const providerMs = performance.now() - start;
  await new Promise((resolve) => setTimeout(resolve, TOOLS_REAPED_MS));
  const providerOwnCpuMs = readCpuMs(plan.providerPid) - ownBefore;
  const providerCpuMs = providerOwnCpuMs + readChildrenCpuMs(plan.providerPid) - toolsBefore;
  const floorCpuBefore = readChildrenCpuMs(process.pid);
  const floorStart = performance.now();
  await withConcurrency(plan.volumes, plan.concurrency, plan.floor);
  const floorMs = performance.now() - floorStart;
  const floorCpuMs = readChildrenCpuMs(process.pid) - floorCpuBefore;
  return {
    volumes: plan.volumes,
    concurrency: plan.concurrency,
    providerMs,
    floorMs,
    providerCpuMs,
    providerOwnCpuMs,
    floorCpuMs,
    statusP99Ms: percentile(probed.latencies, 99),
    statusCalls: probed.latencies.length,
  };
}

/**
 * CreateVolume as a poollet makes it: Unavailable (the provider has not read its pool's capacity yet, right
 * after a start) is tried again after a moment.
 */
export async function createVolume(
  client: VolumeClient,
  spec: MessageInitShape<typeof volume.VolumeSpecSchema>,
): Promise<volume.CreateVolumeResponse> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await client.createVolume({ volume: { metadata: { labels: {} }, spec } });
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.Unavailable) || Date.now() > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Deletes every volume and waits until the provider lists none (its finalizers released). */
export async function deleteAllVolumes(client: VolumeClient, timeoutMs: number): Promise<void> {
  const { volumes } = await client.listVolumes({});
  await withConcurrency(volumes.length, 16, (i) =>
    client.deleteVolume({ volumeId: volumes[i]?.metadata?.id as string }).catch(() => undefined),
  );
  const deadline = Date.now() + timeoutMs;
  while ((await client.listVolumes({})).volumes.length > 0) {
    if (Date.now() > deadline) throw new Error(`volumes not deleted within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function untilAvailable(
  client: VolumeClient,
  ids: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const wanted = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { volumes } = await client.listVolumes({});
    let available = 0;
    for (const v of volumes) {
      if (!wanted.has(v.metadata?.id ?? "")) continue;
      if (v.status?.state === volume.VolumeState.VOLUME_AVAILABLE) available += 1;
      else if (v.status?.state === volume.VolumeState.VOLUME_ERROR) {
        throw new Error(`volume ${v.metadata?.id} went to ERROR`);
      }
    }
    if (available === wanted.size) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${wanted.size - available} of ${wanted.size} volumes not AVAILABLE within ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
