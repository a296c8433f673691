#!/usr/bin/env node
// The restart part of `pnpm bench`: for each provider on its real backend (machine: qemu; volume: ceph;
// bucket: rgw), the time from spawning it to its first answer on a fresh state directory, then from kill -9
// to its first answer again on the same state, with the CPU the new process used until that answer; against
// the floor of spawning `node -e 0` (to its exit) in the same run. The DESIGN target is ≤ 1 s from kill -9
// to serving. A backend whose service is not configured is reported as not measured. Exit 1 only when a run
// itself failed.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { startBucketProvider, storesFromEnv } from "./bucket-benchmark.js";
import { initRbdPool } from "./ceph-pool.js";
import { readChildrenCpuMs, readCpuMs } from "./proc-stats.js";
import {
  killAllProviders,
  type ProviderProcess,
  startMachineProvider,
  startVolumeProvider,
} from "./provider-process.js";
import { summarize } from "./samples.js";

const RESTART_TARGET_MS = 1000;
const run = promisify(execFile);

const { values } = parseArgs({ options: { runs: { type: "string" }, quick: { type: "boolean" } } });
const runs = Number(values.runs ?? (values.quick ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs: expected a whole number ≥ 1, got ${values.runs}\n`);
  process.exit(2);
}

interface Start {
  readonly ms: number;
  /** CPU the provider process used from its spawn to its first answer. */
  readonly cpuMs: number;
}

/** Runs `node -e 0` to its exit: the cost of a node process that loads nothing. */
async function nodeFloor(): Promise<Start> {
  const cpuBefore = readChildrenCpuMs(process.pid);
  const begin = performance.now();
  await new Promise<void>((resolve, reject) =>
    spawn(process.execPath, ["-e", "0"], { stdio: "ignore" }).once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`node -e 0 exited ${code}`)),
    ),
  );
  return { ms: performance.now() - begin, cpuMs: readChildrenCpuMs(process.pid) - cpuBefore };
}

/** A provider started on one state directory: its first start, then `runs` kill -9 → serving again. */
async function measureRestarts(start: () => Promise<ProviderProcess>) {
  const timedStart = async (
    before: () => Promise<void>,
  ): Promise<{ provider: ProviderProcess; start: Start }> => {
    const begin = performance.now();
    await before();
    const provider = await start();
    return { provider, start: { ms: performance.now() - begin, cpuMs: readCpuMs(provider.pid) } };
  };
  let { provider, start: first } = await timedStart(async () => {});
  const restarts: Start[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const killed = provider;
      const next = await timedStart(() => killed.kill9());
      provider = next.provider;
      restarts.push(next.start);
    }
  } finally {
    await provider.stop();
  }
  return { first, restarts };
}

const dir = mkdtempSync(join(tmpdir(), "iri-bench-restart-"));
// QEMU runs as its own user (iri-qemu), which must pass through to the machine provider's state.
chmodSync(dir, 0o711);
const ms = (v: number) => `${v.toFixed(0)} ms`;
const floors: Start[] = [];
for (let i = 0; i < runs; i++) floors.push(await nodeFloor());
const floorMs = summarize(floors.map((f) => f.ms)).median;
console.log(
  `INFO restart-floor: node -e 0 ${ms(floorMs)} median, CPU ${ms(summarize(floors.map((f) => f.cpuMs)).median)} ` +
    `(${runs} runs)`,
);

function report(kind: string, measured: { first: Start; restarts: Start[] }): void {
  const wall = summarize(measured.restarts.map((r) => r.ms));
  const cpu = summarize(measured.restarts.map((r) => r.cpuMs));
  console.log(
    `${wall.median <= RESTART_TARGET_MS ? "PASS" : "MISS"} restart-${kind}: ${ms(wall.median)} median from kill -9 ` +
      `to serving (${measured.restarts.map((r) => ms(r.ms)).join(", ")}; ${(wall.median / floorMs).toFixed(1)}× ` +
      `node -e 0), CPU ${ms(cpu.median)} median (${measured.restarts.map((r) => ms(r.cpuMs)).join(", ")}); ` +
      `first start ${ms(measured.first.ms)}, CPU ${ms(measured.first.cpuMs)} (target ≤ ${RESTART_TARGET_MS} ms)`,
  );
}

try {
  const classFile = join(dir, "machine-classes.json");
  writeFileSync(classFile, JSON.stringify([{ name: "small", capabilities: { cpu: 1, memory: 268435456 } }]));
  report(
    "machine",
    await measureRestarts(() =>
      startMachineProvider(join(dir, "machine"), [
        "--backend",
        "qemu",
        "--class-file",
        classFile,
        "--streaming-address",
        "127.0.0.1:0",
      ]),
    ),
  );

  const { CEPH_MON_HOST: monitors, CEPH_ADMIN_KEYRING: keyring } = process.env;
  if (monitors && keyring) report("volume", await measureVolumeRestarts(monitors, keyring));
  else console.log("NOT MEASURED restart-volume: CEPH_MON_HOST and CEPH_ADMIN_KEYRING are not set");

  const { rgw } = storesFromEnv();
  if (rgw) {
    mkdirSync(join(dir, "bucket"));
    report("bucket", await measureRestarts(() => startBucketProvider("rgw", rgw, join(dir, "bucket"))));
  } else console.log("NOT MEASURED restart-bucket: RGW_ENDPOINT and its admin keys are not set");
} finally {
  killAllProviders();
  rmSync(dir, { recursive: true, force: true });
}

/** The volume provider on a pool of the run's own (its backend opens after it serves, as in a real restart). */
async function measureVolumeRestarts(monitors: string, keyringPath: string) {
  const suffix = randomBytes(4).toString("hex");
  const pool = `iri-bench-restart-${suffix}`;
  const cephArgs = ["--conf", "/dev/null", "-m", monitors, "--id", "admin", "--keyring", keyringPath];
  // A cluster that cannot write (a full OSD) blocks `rbd pool init`: the suite fails instead of hanging.
  const admin = (tool: string, args: string[]) => run(tool, [...cephArgs, ...args], { timeout: 120_000 });
  await admin("ceph", ["osd", "pool", "create", pool, "8"]);
  try {
    await initRbdPool(admin, pool);
    const keyFile = join(dir, "ceph-admin.key");
    writeFileSync(keyFile, readFileSync(keyringPath), { mode: 0o600 });
    const classFile = join(dir, "volume-classes.json");
    writeFileSync(
      classFile,
      JSON.stringify([{ name: "standard", capabilities: { tps: 0, iops: 0 }, settings: { pool } }]),
    );
    return await measureRestarts(() =>
      startVolumeProvider(join(dir, "volume"), [
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
        `iri-restart-${suffix}`,
      ]),
    );
  } finally {
    await admin("ceph", ["osd", "pool", "rm", pool, pool, "--yes-i-really-really-mean-it"]).catch(() => {});
  }
}
