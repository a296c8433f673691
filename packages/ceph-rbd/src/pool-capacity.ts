import { BackendUnavailableError, type PoolCapacity } from "@iri/backend-api";
import type { CephCli } from "./cli/ceph-cli.js";

interface DfOutput {
  pools: { name: string; stats: { stored: number; max_avail: number } }[];
}

/** A pool's total from `ceph df`: what it stores now plus what still fits (max_avail accounts for replication). */
export async function poolCapacity(cli: CephCli, pool: string): Promise<PoolCapacity> {
  const df = await cli.cephJson<DfOutput>(["df"]);
  const entry = df.pools.find((p) => p.name === pool);
  // The pool exists (checked at start): the manager has not reported its statistics yet. Asked again later.
  if (!entry) throw new BackendUnavailableError(`ceph df lists no pool ${pool} yet`);
  return { totalBytes: BigInt(entry.stats.stored) + BigInt(entry.stats.max_avail) };
}
