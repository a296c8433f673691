// Status under load: the poollets call Status on every pool sync with a 5 s deadline and mark the pool
// unhealthy when it times out, so its latency while the provider is busy creating is what matters.

/** Milliseconds the p-th percentile (0–100) of `samples` reaches (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Calls `status` one call after another (as one poollet does) until `load` settles, `pauseMs` between calls;
 * resolves to the load's result and every call's latency in milliseconds.
 */
export async function probeDuring<T>(
  status: () => Promise<unknown>,
  load: Promise<T>,
  pauseMs = 0,
): Promise<{ value: T; latencies: number[] }> {
  let done = false;
  const settled = load.finally(() => {
    done = true;
  });
  const latencies: number[] = [];
  const probe = (async () => {
    while (!done) {
      const start = performance.now();
      await status();
      latencies.push(performance.now() - start);
      if (pauseMs > 0 && !done) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  const [value] = await Promise.all([settled, probe]);
  return { value, latencies };
}
