// The power state machine: ACPI shutdown with a hard-stop deadline, power-off, and the back-off that keeps a
// guest which keeps powering itself off from being restarted in a tight loop. Every deadline lives in the
// machine's power record, so a provider restart never loses one and no worker waits for a guest.
import type { NotDone, ObjectRef } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { killQemu } from "./host/qemu-process.js";
import type { MachineFiles } from "./machine-files.js";
import { noteGuestExit, restartDelayMs } from "./model/crash-loop.js";
import { type PowerRecord, readPowerRecord, writePowerRecord } from "./model/power-record.js";

type RecordEvent = ObjectRef["event"];

/**
 * ACPI shutdown first, a hard stop once the deadline passed. Returns NotDone while the guest still has
 * time, so no worker waits for it; the deadline survives restarts in the power record.
 */
export async function stopGracefully(
  deps: BackendDeps,
  id: string,
  files: MachineFiles,
  pid: number,
  event: RecordEvent,
): Promise<NotDone | undefined> {
  const { config, connections } = deps;
  const record = await readPowerRecord(files.powerFile);
  const now = Date.now();
  if (record.powerdownAt === undefined) {
    const qmp = await connections.get(id, files.qmpSocket).catch(() => undefined);
    const requested = await qmp?.execute("system_powerdown").then(
      () => true,
      () => false,
    );
    if (requested && config.shutdownTimeoutMs > 0) {
      await writePowerRecord(files.powerFile, { started: true, powerdownAt: now });
      event(
        "Normal",
        "ShutdownRequested",
        `ACPI shutdown requested; hard stop after ${config.shutdownTimeoutMs} ms`,
      );
      return {
        afterMs: Math.min(1000, config.shutdownTimeoutMs),
        reason: "ShuttingDown",
        message: "waiting for the guest to power off",
      };
    }
  } else if (now - record.powerdownAt < config.shutdownTimeoutMs) {
    const left = config.shutdownTimeoutMs - (now - record.powerdownAt);
    return {
      afterMs: Math.min(1000, left),
      reason: "ShuttingDown",
      message: "waiting for the guest to power off",
    };
  } else {
    event("Normal", "HardStop", `the guest did not power off within ${config.shutdownTimeoutMs} ms; stopped`);
  }
  await connections.drop(id);
  await killQemu(pid, config.launchTimeoutMs);
  await config.confinement.cgroups?.release(files.cgroupName);
  await writePowerRecord(files.powerFile, { started: false });
  return undefined;
}

/**
 * Drives a machine whose spec says off to having no QEMU: NotDone while the guest shuts down, then the power
 * record says stopped (with a MachinePoweredOff event once).
 */
export async function powerOff(
  deps: BackendDeps,
  id: string,
  files: MachineFiles,
  pid: number | undefined,
  event: RecordEvent,
): Promise<NotDone | undefined> {
  const power = await readPowerRecord(files.powerFile);
  if (pid !== undefined) {
    const waiting = await stopGracefully(deps, id, files, pid, event);
    if (waiting) return waiting;
  }
  if (power.started) {
    await deps.config.confinement.cgroups?.release(files.cgroupName);
    await writePowerRecord(files.powerFile, { started: false });
    event("Normal", "MachinePoweredOff", `machine powered off${shutdownTook(power)}`);
  }
  return undefined;
}

/**
 * Before a machine whose spec says on is started again: a QEMU that was started and is gone means the guest
 * powered itself off. Counts quick exits and answers NotDone (CrashLoopBackOff) while the back-off lasts;
 * otherwise the number of quick exits to carry into the next start.
 */
export async function restartAfterGuestExit(
  files: MachineFiles,
  event: RecordEvent,
): Promise<{ quickExits: number } | { notDone: NotDone }> {
  const power = await readPowerRecord(files.powerFile);
  if (!power.started) return { quickExits: 0 };
  const exited = noteGuestExit(power, Date.now());
  if (exited !== power) await writePowerRecord(files.powerFile, exited);
  const quickExits = exited.quickExits ?? 0;
  const left = (exited.exitedAt ?? 0) + restartDelayMs(exited) - Date.now();
  if (left > 0) {
    return {
      notDone: {
        afterMs: left,
        reason: "CrashLoopBackOff",
        message: `the guest powered itself off ${quickExits} times in a row soon after starting; starting it again in ${Math.ceil(left / 1000)} s`,
      },
    };
  }
  event("Normal", "GuestShutdown", "the guest powered off while the spec says on; starting it again");
  return { quickExits };
}

/** " after N ms" since the ACPI shutdown request, for events; "" when none was requested. */
export function shutdownTook(record: PowerRecord): string {
  if (record.powerdownAt === undefined) return "";
  return ` ${Date.now() - record.powerdownAt} ms after the ACPI shutdown request`;
}
