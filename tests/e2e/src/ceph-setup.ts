// The shared loopback Ceph cluster as the volume provider's e2e suites use it: the admin CLI, and a fresh pool
// with classes, an admin key file and the provider flags for them.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);

export function cephEnv(): { monitors: string; keyring: string } {
  const monitors = process.env.CEPH_MON_HOST;
  const keyring = process.env.CEPH_ADMIN_KEYRING;
  if (!monitors || !keyring) {
    throw new Error(
      "CEPH_MON_HOST and CEPH_ADMIN_KEYRING must be set: run `source <(bash scripts/services.sh env)`",
    );
  }
  return { monitors, keyring };
}

export async function admin(tool: "rbd" | "ceph", args: string[]): Promise<string> {
  const { monitors, keyring } = cephEnv();
  const { stdout } = await run(
    tool,
    ["--conf", "/dev/null", "-m", monitors, "--id", "admin", "--keyring", keyring, ...args],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

/**
 * Waits until `ceph df` lists the pool: the manager reports a new pool's usage only after a few seconds, and
 * until then the provider rightly answers Status with Unavailable (its capacity is not known yet).
 */
async function untilReported(pool: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const df: { pools?: { name: string }[] } = JSON.parse(await admin("ceph", ["df", "--format", "json"]));
    if (df.pools?.some((p) => p.name === pool)) return;
    if (Date.now() > deadline) throw new Error(`ceph df did not list pool ${pool} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A fresh pool with classes in it, an admin key file (0600) and the provider flags for them. */
export async function cephSetup(dir: string, name: string) {
  const { monitors, keyring } = cephEnv();
  const pool = `iri-e2e-${name}`;
  const consumer = `iri-volume-e2e-${name}`;
  await admin("ceph", ["osd", "pool", "create", pool, "8"]);
  await admin("rbd", ["pool", "init", pool]);
  await untilReported(pool);
  const keyFile = join(dir, "admin.key");
  writeFileSync(keyFile, readFileSync(keyring), { mode: 0o600 });
  const classFile = join(dir, "classes.json");
  writeFileSync(
    classFile,
    JSON.stringify([
      { name: "standard", capabilities: { tps: 104857600, iops: 3000 }, settings: { pool } },
      { name: "fast", capabilities: { tps: 262144000, iops: 15000 }, settings: { pool } },
    ]),
  );
  const args = [
    "--backend",
    "ceph",
    "--class-file",
    classFile,
    "--ceph-monitors",
    monitors,
    "--ceph-admin-key-file",
    keyFile,
    "--ceph-pool",
    pool,
    "--ceph-consumer-id",
    consumer,
    // The shared test cluster's OSD holds 4 GiB; the suites create many thin 1 GiB volumes.
    "--overprovisioning-percent",
    "10000",
  ];
  return {
    pool,
    args,
    async remove() {
      await admin("ceph", ["osd", "pool", "rm", pool, pool, "--yes-i-really-really-mean-it"]).catch(() => {});
      await admin("ceph", ["auth", "del", `client.${consumer}`]).catch(() => {});
    },
  };
}
