// A bench suite's own RBD pool, ready for a volume provider.

/** Runs a Ceph tool as the admin. */
export type CephAdmin = (tool: string, args: string[]) => Promise<{ stdout: string }>;

/**
 * Initialises a created pool for RBD and waits until `ceph df` lists it: the manager reports a new pool only
 * after a few seconds, and until then a volume provider rightly answers Status with Unavailable (it does not
 * know the pool's capacity yet), which a suite would count as a failed call.
 */
export async function initRbdPool(admin: CephAdmin, pool: string): Promise<void> {
  await admin("rbd", ["pool", "init", pool]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { stdout } = await admin("ceph", ["df", "--format", "json"]);
    const df = JSON.parse(stdout) as { pools?: { name: string }[] };
    if (df.pools?.some((listed) => listed.name === pool)) return;
    if (Date.now() > deadline) throw new Error(`ceph df did not list pool ${pool} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
