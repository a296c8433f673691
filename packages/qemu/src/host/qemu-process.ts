import { readdir, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { OWNER_FW_CFG_NAME } from "../model/command-line.js";

/** The process's argv, or undefined when it is gone (or a zombie). */
export async function readCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name; a zombie has exited already.
    if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") return undefined;
    const raw = await readFile(`/proc/${pid}/cmdline`, "utf8");
    const argv = raw.split("\0");
    if (argv.at(-1) === "") argv.pop();
    return argv.length > 0 ? argv : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): Promise<boolean> {
  return readCmdline(pid).then((argv) => argv !== undefined);
}

/** What the command line of one of our QEMU processes says about it. */
export interface QemuIdentity {
  readonly machineId: string;
  readonly owner: string;
  readonly pidFile: string;
}

/** Reads machine id, owner tag and pid file from a QEMU argv; undefined when it is not a machine of ours. */
export function identifyQemu(argv: readonly string[]): QemuIdentity | undefined {
  if (!basename(argv[0] ?? "").startsWith("qemu-system")) return undefined;
  const argValue = (flag: string, prefix: string) => {
    for (let i = 0; i < argv.length - 1; i++) {
      const value = argv[i + 1] ?? "";
      if (argv[i] === flag && value.startsWith(prefix)) return value;
    }
    return undefined;
  };
  const name = argValue("-name", "guest=");
  const owner = argValue("-fw_cfg", `name=${OWNER_FW_CFG_NAME},string=`);
  const pidFile = argValue("-pidfile", "");
  if (name === undefined || owner === undefined || pidFile === undefined) return undefined;
  return {
    machineId: name.slice("guest=".length).split(",")[0] ?? "",
    owner: owner.slice(`name=${OWNER_FW_CFG_NAME},string=`.length),
    pidFile,
  };
}

/** Every process whose argv looks like a QEMU machine (any owner; nothing proven: see qemu-ownership.ts). */
export async function scanQemuProcesses(): Promise<Array<QemuIdentity & { pid: number }>> {
  const found: Array<QemuIdentity & { pid: number }> = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isSafeInteger(pid)) continue;
    const argv = await readCmdline(pid);
    const identity = argv && identifyQemu(argv);
    if (identity) found.push({ ...identity, pid });
  }
  return found;
}

/** Waits until `pid` has exited; false when it is still there at the deadline. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await sleep(20);
  }
  return !(await isAlive(pid));
}

/** SIGKILL to a verified QEMU pid, then waits for it to go. */
export async function killQemu(pid: number, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
  if (!(await waitForExit(pid, timeoutMs))) throw new Error(`QEMU pid ${pid} did not exit after SIGKILL`);
}
