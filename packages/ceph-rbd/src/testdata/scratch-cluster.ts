import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const CEPH_SH = resolve(import.meta.dirname, "../../../../scripts/ceph.sh");

/**
 * A Ceph cluster of the test's own (scripts/ceph.sh on random ports in a temporary dir), for faults the
 * shared cluster must not suffer: its monitor is stopped and started again.
 */
export interface ScratchCluster {
  readonly monitors: string;
  readonly adminKeyring: string;
  stopMonitor(): Promise<void>;
  startMonitor(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startScratchCluster(): Promise<ScratchCluster> {
  const dir = await mkdtemp(join(tmpdir(), "iri-ceph-scratch-"));
  const monPort = 20000 + Math.floor(Math.random() * 10000);
  const env = {
    ...process.env,
    CEPH_MON_PORT: String(monPort),
    RGW_PORT: String(monPort + 1),
    // Thrown away after the test: RAM-backed memstore starts faster than bluestore and needs no file.
    CEPH_OSD_STORE: "memstore",
    CEPH_OSD_BYTES: String(512 * 1024 * 1024),
  };
  const ceph = (command: string) => run("bash", [CEPH_SH, command, dir], { env, timeout: 180_000 });
  await ceph("start");
  const monPid = async () => Number((await readFile(join(dir, "run", "mon.a.pid"), "utf8")).trim());
  return {
    monitors: `127.0.0.1:${monPort}`,
    adminKeyring: await readFile(join(dir, "keyring.admin"), "utf8"),
    async stopMonitor() {
      const pid = await monPid();
      process.kill(pid, "SIGTERM");
      const deadline = Date.now() + 30_000;
      while (isAlive(pid)) {
        if (Date.now() > deadline) throw new Error(`mon pid ${pid} did not stop`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async startMonitor() {
      await ceph("start");
    },
    async destroy() {
      await ceph("stop").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
