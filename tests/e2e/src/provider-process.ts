// Starts a provider app as a real child process on a temporary socket, the way an operator would run it.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";

export type Runtime = "machine" | "volume" | "bucket";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const services = {
  machine: machine.MachineRuntime,
  volume: volume.VolumeRuntime,
  bucket: bucket.BucketRuntime,
};

export interface ProviderProcess {
  readonly runtime: Runtime;
  readonly address: string;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** A scratch directory for one test file; removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `iri-e2e-${prefix}-`));
  // The qemu backend's unprivileged QEMU user must pass through to the state directory (enter, not list).
  chmodSync(dir, 0o711);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startProvider(
  runtime: Runtime,
  dir: string,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProviderProcess> {
  const socketPath = join(dir, `${runtime}.sock`);
  const stateDir = join(dir, `${runtime}-state`);
  const main = join(repoRoot, "apps", `${runtime}-provider`, "dist", "main.js");
  const child = spawn(
    process.execPath,
    [
      main,
      "--socket-path",
      socketPath,
      "--state-dir",
      stateDir,
      "--ops-address",
      "",
      "--log-level",
      "info",
      // The noop backend unless the test names another.
      ...(extraArgs.includes("--backend") ? [] : ["--backend", "noop"]),
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const address = `unix://${socketPath}`;
  await waitUntilServing(runtime, address, child, () => output);
  return {
    runtime,
    address,
    socketPath,
    stateDir,
    pid: child.pid ?? 0,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function waitUntilServing(
  runtime: Runtime,
  address: string,
  child: ChildProcess,
  output: () => string,
) {
  const client = createRuntimeClient(services[runtime], address);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${runtime} provider exited with ${child.exitCode}:\n${output()}`);
    try {
      await client.version({}, { timeoutMs: 1000 });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${runtime} provider did not serve within 30 s: ${err}\n${output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
