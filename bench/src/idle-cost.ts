// Idle cost: what a provider holding a pool's objects spends when nobody calls it. Two parts, because the
// periodic resync reconciles every object once per `--resync-period-ms` (30 min by default) in one sweep:
// - a quiet window (60 s by default) at the default flags: timers, capacity refresh, cache collection;
// - one full sweep, measured as a restart on the same state (a provider reconciles every object it holds when
//   it starts, as it does on each resync, and scans for orphans): CPU from spawn until idle, its backend calls.
//   Where a start costs more than a resync (the volume provider reads every image's tags for the orphan proof
//   once per life), the periodic sweep itself is measured too: the provider is started again with a short
//   resync period and one resync (and orphan scan) is measured, less the quiet window's rate over its length.
// The average idle minute is the window plus the sweep spread over the resync period. A sweep measured as a
// restart includes the process start (module loading, opening the store), so it overstates the resync.
import { hasChildren, readChildrenCpuMs, readCpuMs, waitUntilIdle } from "./proc-stats.js";
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
  /** One periodic resync, where measured: then it, not the restart, is the sweep of the average. */
  readonly periodic?: PeriodicSweep;
  /** Average over one resync period: provider CPU in % of one core, backend calls per minute. */
  readonly cpuPercent: number;
  readonly callsPerMinute: number;
}

export interface PeriodicSweep {
  /** The `--resync-period-ms` it ran with. */
  readonly periodMs: number;
  /** Provider CPU and backend calls of one resync, the quiet rate over its window taken out; its tools' CPU. */
  readonly cpuMs: number;
  readonly calls: number;
  readonly childCpuMs: number;
}

export interface IdleSubject {
  readonly objects: number;
  provider: ProviderProcess;
  /** Backend calls the current provider process has made since it started. */
  calls(): Promise<number>;
  /** Starts the provider again on the same state, with `flags` added; resolves once it serves. */
  restart(flags?: readonly string[]): Promise<ProviderProcess>;
  /** Whether a start costs more than a resync, so that one periodic resync is measured as well. */
  readonly measurePeriodicSweep?: boolean;
}

/** Shortest resync period for the periodic sweep. */
const MIN_PERIOD_MS = 60_000;
/** The controller spreads each period by ±20 %. */
const JITTER = 0.2;
const SETTLE_MS = 10_000;
/** Idle: four quiet half-seconds, ten around a sweep (which may wait seconds on one listing). */
const QUIET = { windowMs: 500, windows: 4, maxCpuFraction: 0.05 };
const QUIET_AFTER_SWEEP = { ...QUIET, windows: 10 };

/**
 * Until the provider is idle, runs no tool and made no backend call meanwhile: a provider waiting for its
 * tools (opening the backend, the orphan scan's reads, at a lower priority on a loaded host) spends no CPU of
 * its own, yet is not done. A long-lived tool (the volume provider's `ceph` shell) quits after 5 s idle.
 */
async function settle(subject: IdleSubject): Promise<void> {
  for (;;) {
    const calls = await subject.calls();
    await waitUntilIdle(subject.provider.pid, QUIET_AFTER_SWEEP);
    if (!hasChildren(subject.provider.pid) && (await subject.calls()) === calls) return;
  }
}

export async function measureIdleCost(subject: IdleSubject, windowMs: number): Promise<IdleCost> {
  await settle(subject);
  const calls0 = await subject.calls();
  const cpu0 = readCpuMs(subject.provider.pid);
  const childCpu0 = readChildrenCpuMs(subject.provider.pid);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const windowCpuMs = readCpuMs(subject.provider.pid) - cpu0;
  const windowChildCpuMs = readChildrenCpuMs(subject.provider.pid) - childCpu0;
  const windowCalls = (await subject.calls()) - calls0;

  await subject.provider.stop();
  const restartedAt = performance.now();
  subject.provider = await subject.restart();
  await settle(subject);
  const restartMs = performance.now() - restartedAt;
  const sweepCpuMs = readCpuMs(subject.provider.pid);
  const sweepChildCpuMs = readChildrenCpuMs(subject.provider.pid);
  const sweepCalls = await subject.calls();

  const rate = {
    cpu: windowCpuMs / windowMs,
    calls: windowCalls / windowMs,
    child: windowChildCpuMs / windowMs,
  };
  const periodic = subject.measurePeriodicSweep
    ? await measurePeriodicSweep(subject, restartMs, rate)
    : undefined;
  const perMinute = (window: number, sweep: number) =>
    (window * 60_000) / windowMs + (sweep * 60_000) / DEFAULT_RESYNC_MS;
  const sweep = periodic ?? { cpuMs: sweepCpuMs, calls: sweepCalls };
  return {
    objects: subject.objects,
    windowMs,
    windowCpuMs,
    windowCalls,
    sweepCpuMs,
    sweepCalls,
    windowChildCpuMs,
    sweepChildCpuMs,
    ...(periodic ? { periodic } : {}),
    cpuPercent: (perMinute(windowCpuMs, sweep.cpuMs) / 60_000) * 100,
    callsPerMinute: perMinute(windowCalls, sweep.calls),
  };
}

/**
 * One periodic resync: the provider started again with a period 1.5 times its start sweep took (the start is
 * over before the earliest first resync at 0.8 of the period, whatever the ±20 % jitter, and a resync that
 * only confirms takes seconds, far less than the 0.4 of a period before the earliest second one); measured
 * from idle after the start until idle after the latest moment the first resync (and the orphan scan of the
 * same period) can begin, less the quiet window's rate over that time.
 */
async function measurePeriodicSweep(
  subject: IdleSubject,
  restartMs: number,
  quietRate: { cpu: number; calls: number },
): Promise<PeriodicSweep> {
  const periodMs = Math.max(MIN_PERIOD_MS, Math.ceil((1.5 * restartMs) / 1000) * 1000);
  await subject.provider.stop();
  subject.provider = await subject.restart(["--resync-period-ms", String(periodMs)]);
  const servingAt = performance.now();
  await settle(subject);
  const pid = subject.provider.pid;
  const from = {
    at: performance.now(),
    cpu: readCpuMs(pid),
    calls: await subject.calls(),
    child: readChildrenCpuMs(pid),
  };
  const resyncBy = servingAt + (1 + JITTER) * periodMs + SETTLE_MS;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, resyncBy - performance.now())));
  await settle(subject);
  const elapsed = performance.now() - from.at;
  return {
    periodMs,
    cpuMs: readCpuMs(pid) - from.cpu - quietRate.cpu * elapsed,
    calls: (await subject.calls()) - from.calls - quietRate.calls * elapsed,
    childCpuMs: readChildrenCpuMs(pid) - from.child,
  };
}

export function idleVerdictLine(kind: string, what: string, c: IdleCost): string {
  const pass = c.cpuPercent <= IDLE_CPU_TARGET_PERCENT;
  return (
    `${pass ? "PASS" : "MISS"} idle-cost-${kind}: ${c.cpuPercent.toFixed(2)} % of one core, ` +
    `${c.callsPerMinute.toFixed(1)} backend calls per idle minute with ${c.objects.toLocaleString("en-US")} ${what} ` +
    `(quiet ${Math.round(c.windowMs / 1000)} s: ${c.windowCpuMs.toFixed(0)} ms CPU, ${c.windowCalls} calls; ` +
    `one resync sweep as a restart: ${c.sweepCpuMs.toFixed(0)} ms CPU, ${c.sweepCalls} calls` +
    (c.periodic
      ? `; one periodic resync (period ${c.periodic.periodMs / 1000} s): ${c.periodic.cpuMs.toFixed(0)} ms CPU, ` +
        `${c.periodic.calls.toFixed(0)} calls, its tools ${c.periodic.childCpuMs.toFixed(0)} ms CPU`
      : "") +
    `, spread over ${DEFAULT_RESYNC_MS / 60_000} min; the tools it ran: ${c.windowChildCpuMs.toFixed(0)} + ` +
    `${c.sweepChildCpuMs.toFixed(0)} ms CPU) ` +
    `(target ≤ ${IDLE_CPU_TARGET_PERCENT} % of one core)`
  );
}
