// Status under load: the poollets call Status on every pool sync with a 5 s deadline and mark the pool
// unhealthy when it times out, so its latency while the provider is busy creating is what matters.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import type { ProbeConfig, ProbeResult } from "./status-probe-worker.js";

/** Milliseconds the p-th percentile (0–100) of `samples` reaches (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Pause between two probe calls unless the target names its own. A poollet calls Status once per pool sync
 * (seconds apart); calls back to back made the provider answer thousands of them during a burst (100–150 ms
 * of its CPU per volume created) while the floor's run had no such load. 25 ms still samples ~40 calls a
 * second, enough for a p99 over any burst.
 */
const STATUS_PAUSE_MS = 25;

/**
 * Calls the pool's status method one call after another (as one poollet does; `target.pauseMs` between
 * calls, `STATUS_PAUSE_MS` by default) until `load` settles;
 * resolves to the load's result and every call's latency in milliseconds.
 *
 * The calls come from a worker thread with a connection of its own. A poollet's pool sync runs beside its
 * create workers (goroutines on several threads), so it does not wait for them; from the bench's own thread
 * each Status would also wait for the 64 callers' response decoding and request building, which measured
 * an 85 ms p99 lag of the bench's event loop alone.
 */
export async function probeDuring<T>(
  target: ProbeConfig,
  load: Promise<T>,
): Promise<{ value: T; latencies: number[] }> {
  const worker = new Worker(new URL("./status-probe-worker.js", import.meta.url), {
    workerData: { pauseMs: STATUS_PAUSE_MS, ...target },
  });
  const failed = once(worker, "error").then(([err]) => {
    throw err;
  });
  try {
    await Promise.race([once(worker, "online"), failed]);
    const value = await load;
    worker.postMessage("stop");
    const [result] = (await Promise.race([once(worker, "message"), failed])) as [ProbeResult];
    if (result.error !== undefined) throw new Error(`status probe: ${result.error}`);
    return { value, latencies: result.latencies };
  } finally {
    failed.catch(() => {});
    await worker.terminate();
  }
}
