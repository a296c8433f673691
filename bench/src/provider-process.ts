// Runs a built provider app as an operator would: its own process, its own socket and state directory.
// Every process started here is tracked so that the bench can stop all of them on any exit path.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";

const services = {
  machine: machine.MachineRuntime,
  volume: volume.VolumeRuntime,
  bucket: bucket.BucketRuntime,
};
type Runtime = keyof typeof services;
const mainOf = (runtime: Runtime) =>
  fileURLToPath(new URL(`../../apps/${runtime}-provider/dist/main.js`, import.meta.url));

/**
 * The environment assignments and node flags of the provider's own `#!/usr/bin/env -S VAR=value … node …`
 * line, so that the bench measures the process configuration an installed provider runs with (the heap flags,
 * malloc's arena limit) although it starts `node main.js` itself.
 */
export function startLineOf(firstLine: string): { env: Record<string, string>; nodeFlags: string[] } {
  const words = /^#!\/usr\/bin\/env -S (.*)$/.exec(firstLine)?.[1]?.split(" ") ?? [];
  const nodeAt = words.indexOf("node");
  if (nodeAt < 0) return { env: {}, nodeFlags: [] };
  const env: Record<string, string> = {};
  for (const word of words.slice(0, nodeAt)) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (assignment?.[1] !== undefined && assignment[2] !== undefined) env[assignment[1]] = assignment[2];
  }
  return { env, nodeFlags: words.slice(nodeAt + 1).filter((flag) => flag.startsWith("--")) };
}

/**
 * Flags every bench run passes. The overcommit makes room for 10,000 t3-small machines on any host (the
 * default 400 % of the host's CPUs would stop at a few dozen); ops endpoint off so that runs never collide
 * on its TCP port; warn level because info logs a line per reconcile, which would be measured too. The List
 * budget is raised because the bench fills 10,000 machines of ~1.1 KB (10.9 MiB), over the 3 MiB default that
 * keeps a real poollet's List under 4 MiB: list-10k measures serving that size, not refusing it.
 */
const BENCH_FLAGS = [
  "--backend",
  "noop",
  "--ops-address",
  "",
  "--log-level",
  "warn",
  "--cpu-overcommit-percent",
  "1000000",
  "--memory-overcommit-percent",
  "1000000",
  "--list-budget-bytes",
  String(64 * 1024 * 1024),
];

/** Output kept for error messages; the provider logs at warn level, so this is plenty. */
const OUTPUT_LIMIT = 64 * 1024;
const STOP_GRACE_MS = 15_000;

export interface ProviderProcess {
  readonly pid: number;
  readonly address: string;
  readonly socketPath: string;
  /** The last 64 KiB the process wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL at once, as a crash would: nothing is flushed or drained. */
  kill9(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts the machine provider on `<dir>/machine.sock` with state in `<dir>/state`; resolves once it serves. */
export function startMachineProvider(dir: string, extraFlags: string[] = []): Promise<ProviderProcess> {
  return startProvider("machine", dir, [...BENCH_FLAGS, ...extraFlags]);
}

/** Starts the volume provider on `<dir>/volume.sock` with state in `<dir>/state`; resolves once it serves. */
export function startVolumeProvider(dir: string, extraFlags: string[] = []): Promise<ProviderProcess> {
  return startProvider("volume", dir, ["--ops-address", "", "--log-level", "warn", ...extraFlags]);
}

/** Starts a provider app on `<dir>/<runtime>.sock` with state in `<dir>/state`; resolves once it serves. */
export async function startProvider(
  runtime: Runtime,
  dir: string,
  flags: string[],
): Promise<ProviderProcess> {
  const socketPath = join(dir, `${runtime}.sock`);
  const providerMain = mainOf(runtime);
  const startLine = startLineOf(readFileSync(providerMain, "utf8").split("\n", 1)[0] ?? "");
  const child = spawn(
    process.execPath,
    [
      ...startLine.nodeFlags,
      providerMain,
      "--socket-path",
      socketPath,
      "--state-dir",
      join(dir, "state"),
      ...flags,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...startLine.env } },
  );
  running.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      resolve();
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const address = `unix://${socketPath}`;
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${providerMain}`);

  const deadline = Date.now() + 60_000;
  const probe = createRuntimeClient(services[runtime], address);
  for (;;) {
    if (!alive()) throw new Error(`${runtime} provider exited with ${child.exitCode}:\n${output}`);
    try {
      await probe.version({}, { timeoutMs: 1000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${runtime} provider did not serve within 60 s: ${err}\n${output}`);
      }
      // Every 10 ms: the time to serving is itself measured (restart-*), a finer poll costs a refused connect.
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  return {
    pid,
    address,
    socketPath,
    output: () => output,
    async stop() {
      if (!alive()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** SIGKILLs every provider still running: the last resort on an error or an interrupt. */
export function killAllProviders(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
