// Command-line options of `pnpm bench`; the defaults are the sizes DESIGN §6 names.
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Machines created for list-10k and rss-10k. */
  machines: number;
  /** Length of the durable-creates run. */
  createSeconds: number;
  /** Concurrent gRPC callers, for both the durable-creates run and filling the store for list-10k. */
  callers: number;
  /** Timed List calls per target (provider and floor each), after the warm-up. */
  listIterations: number;
  /** Exit 1 when any target is missed (by default a MISS only guides work). */
  strict: boolean;
  quick: boolean;
  /**
   * Which benchmarks run: the machine provider's on noop, the volume provider's (ceph), the machine
   * provider's on qemu (machine-boot, rss-machines), or all.
   */
  suite: "all" | "machine" | "volume" | "qemu";
  /** Timed machine boots (provider and bare QEMU each), after a warm-up that caches the image. */
  bootRuns: number;
  /** Machines running while the provider's RSS is read for rss-machines. */
  runningMachines: number;
  /** Volumes from the cached image, one after another, for volume-clones-N. */
  clones: number;
  /** Volumes per burst (volume-burst-*); 0 leaves the bursts out. */
  burst: number;
}

export const USAGE = `usage: node bench/dist/main.js [--quick] [--strict] [--machines N] [--create-seconds S]
                                [--callers N] [--list-iterations N] [--suite all|machine|volume|qemu]
                                [--boot-runs N] [--running-machines N] [--clones N] [--burst N]
  --quick              1,000 machines, 1 s create run, 5 List iterations, an 8 MiB image and 5 clones
                       (a smoke run, not a measurement)
  --suite S            all (default), machine (noop backend) or volume (ceph backend: needs the services'
                       CEPH_MON_HOST, CEPH_ADMIN_KEYRING, REGISTRY_ADDR; all runs it only when they are set)
                       or qemu (machine-boot and rss-machines on the qemu backend: needs QEMU and
                       REGISTRY_ADDR; all runs it only when REGISTRY_ADDR is set)
  --strict             exit 1 when a target is missed
  --machines N         machines for list-10k and rss-10k (default 10000)
  --create-seconds S   length of the durable-creates run (default 5)
  --callers N          concurrent gRPC callers (default 64)
  --list-iterations N  timed List calls per side (default 21)
  --boot-runs N        timed machine boots per side for machine-boot (default 3; --quick 1)
  --running-machines N machines running for rss-machines (default 20; --quick 2)
  --clones N           volumes from the cached image for volume-clones-N (default 50; --quick 5)
  --burst N            volumes per burst for volume-burst-* (default 200; --quick 10; 0: no bursts)`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): BenchOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  if (values.help) throw new UsageError("");
  const quick = values.quick ?? false;
  return {
    quick,
    strict: values.strict ?? false,
    machines: positiveInteger(values.machines, "--machines", quick ? 1_000 : 10_000),
    createSeconds: positiveNumber(values["create-seconds"], "--create-seconds", quick ? 1 : 5),
    callers: positiveInteger(values.callers, "--callers", 64),
    listIterations: positiveInteger(values["list-iterations"], "--list-iterations", quick ? 5 : 21),
    suite: suiteOf(values.suite),
    bootRuns: positiveInteger(values["boot-runs"], "--boot-runs", 3),
    runningMachines: positiveInteger(values["running-machines"], "--running-machines", 20),
    clones: positiveInteger(values.clones, "--clones", quick ? 5 : 50),
    burst: values.burst === "0" ? 0 : positiveInteger(values.burst, "--burst", quick ? 10 : 200),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: "boolean" },
      strict: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      machines: { type: "string" },
      "create-seconds": { type: "string" },
      callers: { type: "string" },
      "list-iterations": { type: "string" },
      suite: { type: "string" },
      "boot-runs": { type: "string" },
      "running-machines": { type: "string" },
      clones: { type: "string" },
      burst: { type: "string" },
    },
  });
}

function suiteOf(value: string | undefined): BenchOptions["suite"] {
  if (value === undefined) return "all";
  if (value === "all" || value === "machine" || value === "volume" || value === "qemu") return value;
  throw new UsageError(`--suite: expected all, machine, volume or qemu, got ${value}`);
}

function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag}: expected a positive number, got ${value}`);
  return n;
}

function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  const n = positiveNumber(value, flag, fallback);
  if (!Number.isInteger(n)) throw new UsageError(`${flag}: expected a whole number, got ${value}`);
  return n;
}
