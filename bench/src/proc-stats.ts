// Reads a process's memory and CPU time from /proc, so that the bench needs nothing from the provider itself
// (no metrics endpoint, no cooperation) to judge its footprint or whether it has gone quiet.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface MemoryStats {
  /** Resident set size now (VmRSS). */
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM). */
  peakRssBytes: number;
}

export function readMemory(pid: number): MemoryStats {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { rssBytes: kibField(status, "VmRSS") * 1024, peakRssBytes: kibField(status, "VmHWM") * 1024 };
}

function kibField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
  if (!m?.[1]) throw new Error(`/proc status has no ${name}`);
  return Number(m[1]);
}

// utime and stime in /proc/<pid>/stat count clock ticks; the tick rate is a kernel build option.
let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // the value on every mainstream Linux build
    }
  }
  return ticksPerSecond;
}

/** User plus system CPU time the process has used so far, in milliseconds. */
export function readCpuMs(pid: number): number {
  // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are indices 11 and 12.
  return statTicksMs(pid, 11, 12);
}

/** User plus system CPU time of the process's children it has waited for (e.g. CLI tools), in milliseconds. */
export function readChildrenCpuMs(pid: number): number {
  // cutime (16) and cstime (17).
  return statTicksMs(pid, 13, 14);
}

/**
 * CPU time of this process's main thread alone, in milliseconds: the bench's own work as a client, without
 * the worker threads beside it (a floor server, the Status probe) or V8's helper threads.
 */
export function readMainThreadCpuMs(): number {
  return statTicksMs(`${process.pid}/task/${process.pid}`, 11, 12);
}

function statTicksMs(pid: number | string, user: number, system: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces and parentheses; the fields after its last ")" are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[user]) + Number(fields[system])) * 1000) / clockTicksPerSecond();
}

/**
 * Resolves once the process has used at most `maxCpuFraction` of one core in each of `windows` consecutive
 * windows of `windowMs`: no reconcile, commit or GC is running that would land in a timed call.
 */
export async function waitUntilIdle(
  pid: number,
  options: { windowMs?: number; windows?: number; maxCpuFraction?: number; timeoutMs?: number } = {},
): Promise<void> {
  const windowMs = options.windowMs ?? 250;
  const windows = options.windows ?? 4;
  const maxCpuMs = (options.maxCpuFraction ?? 0.08) * windowMs;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let quiet = 0;
  let before = readCpuMs(pid);
  while (quiet < windows) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not go idle`);
    await new Promise((r) => setTimeout(r, windowMs));
    const after = readCpuMs(pid);
    quiet = after - before <= maxCpuMs ? quiet + 1 : 0;
    before = after;
  }
}

/** Whether any process has `pid` as its parent (e.g. a tool the provider started that is still running). */
export function hasChildren(pid: number): boolean {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // After the name, field 3 (state) is index 0 and field 4 (ppid) index 1.
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) return true;
  }
  return false;
}
