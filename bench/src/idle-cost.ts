// Idle cost: what a provider holding a pool's objects spends when nobody calls it. Two parts, because the
// periodic resync reconciles every object once per `--resync-period-ms` (30 min by default) in one sweep:
// - a quiet window (60 s by default) at the default flags: timers, capacity refresh, cache collection;
// - one full sweep, measured as a restart on the same state (a provider reconciles every object it holds when
//   it starts, as it does on each resync, and scans for orphans): CPU from spawn until idle, its backend calls.
// The average idle minute is the window plus the sweep spread over the resync period. The sweep includes
// the process start (module loading, opening the store), so it overstates the resync by that much.
import { readChildrenCpuMs, readCpuMs, waitUntilIdle } from "./proc-stats.js";
import type { ProviderProcess } from "./provider-process.js";

/** The provider's default `--resync-period-ms`, which the idle cost is averaged over. */
export const DEFAULT_RESYNC_MS = 30 * 60_000;
/** DESIGN §6: at most 1 % of one core per idle minute. */
export const IDLE_CPU_TARGET_PERCENT = 1;

export interface IdleCost {
  readonly objects: number;
  readonly windowMs: number;
  /** Provider CPU (user + system) during the quiet window. */
  readonly windowCpuMs: number;
  /** Backend calls (CLI spawns or HTTP requests) during the quiet window. */
  readonly windowCalls: number;
  /** CPU of a restart on the same state until idle: one full reconcile sweep plus the process start. */
  readonly sweepCpuMs: number;
  readonly sweepCalls: number;
  /** CPU of the processes the provider ran (Ceph CLI tools), window and sweep: the host's cost of the calls. */
  readonly windowChildCpuMs: number;
  readonly sweepChildCpuMs: number;
  /** Average over one resync period: provider CPU in % of one core, backend calls per minute. */
  readonly cpuPercent: number;
  readonly callsPerMinute: number;
}

export interface IdleSubject {
  readonly objects: number;
  provider: ProviderProcess;
  /** Backend calls the current provider process has made since it started. */
  calls(): Promise<number>;
  /** Starts the provider again on the same state; resolves once it serves. */
  restart(): Promise<ProviderProcess>;
}

export async function measureIdleCost(subject: IdleSubject, windowMs: number): Promise<IdleCost> {
  await waitUntilIdle(subject.provider.pid, { windowMs: 500, windows: 4, maxCpuFraction: 0.05 });
  const calls0 = await subject.calls();
  const cpu0 = readCpuMs(subject.provider.pid);
  const childCpu0 = readChildrenCpuMs(subject.provider.pid);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const windowCpuMs = readCpuMs(subject.provider.pid) - cpu0;
  const windowChildCpuMs = readChildrenCpuMs(subject.provider.pid) - childCpu0;
  const windowCalls = (await subject.calls()) - calls0;

  await subject.provider.stop();
  subject.provider = await subject.restart();
  await waitUntilIdle(subject.provider.pid, { windowMs: 500, windows: 4, maxCpuFraction: 0.05 });
  const sweepCpuMs = readCpuMs(subject.provider.pid);
  const sweepChildCpuMs = readChildrenCpuMs(subject.provider.pid);
  const sweepCalls = await subject.calls();

  const perMinute = (window: number, sweep: number) =>
    (window * 60_000) / windowMs + (sweep * 60_000) / DEFAULT_RESYNC_MS;
  return {
    objects: subject.objects,
    windowMs,
    windowCpuMs,
    windowCalls,
    sweepCpuMs,
    sweepCalls,
    windowChildCpuMs,
    sweepChildCpuMs,
    cpuPercent: (perMinute(windowCpuMs, sweepCpuMs) / 60_000) * 100,
    callsPerMinute: perMinute(windowCalls, sweepCalls),
  };
}

export function idleVerdictLine(kind: string, what: string, c: IdleCost): string {
  const pass = c.cpuPercent <= IDLE_CPU_TARGET_PERCENT;
  return (
    `${pass ? "PASS" : "MISS"} idle-cost-${kind}: ${c.cpuPercent.toFixed(2)} % of one core, ` +
    `${c.callsPerMinute.toFixed(1)} backend calls per idle minute with ${c.objects.toLocaleString("en-US")} ${what} ` +
    `(quiet ${Math.round(c.windowMs / 1000)} s: ${c.windowCpuMs.toFixed(0)} ms CPU, ${c.windowCalls} calls; ` +
    `one resync sweep as a restart: ${c.sweepCpuMs.toFixed(0)} ms CPU, ${c.sweepCalls} calls, spread over ` +
    `${DEFAULT_RESYNC_MS / 60_000} min; the tools it ran: ${c.windowChildCpuMs.toFixed(0)} + ${c.sweepChildCpuMs.toFixed(0)} ms CPU) ` +
    `(target ≤ ${IDLE_CPU_TARGET_PERCENT} % of one core)`
  );
}
