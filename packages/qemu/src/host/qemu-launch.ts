import { spawn } from "node:child_process";
import { open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { readOptionalFile } from "../machine-files.js";

/** QEMU refused to start (bad arguments, a missing file); the message carries QEMU's own words. */
export class QemuLaunchError extends Error {
  override readonly name = "QemuLaunchError";
}

/** QEMU did not finish starting in time: a slow start under load, retried, never a terminal failure. */
export class QemuLaunchTimeoutError extends Error {
  override readonly name = "QemuLaunchTimeoutError";
}

export interface QemuLaunch {
  /** QEMU's argv behind its wrappers; every wrapper execs the next, so the process is QEMU in the end. */
  readonly argv: readonly string[];
  /** Receives QEMU's stdout and stderr. */
  readonly logFile: string;
  /** QEMU's `-pidfile` and `-qmp` socket: once both are there, QEMU is set up and waits paused (`-S`). */
  readonly pidFile: string;
  readonly qmpSocket: string;
  readonly timeoutMs: number;
}

/**
 * Starts QEMU in a session of its own (`setsid`), detached from the provider: it runs on when the provider
 * stops or is killed, and is re-adopted by its pid file. `-daemonize` is not used: QEMU's seccomp sandbox
 * forbids the fork and setsid it needs. Resolves QEMU's pid once its pid file names it and its QMP socket
 * exists; rejects with QEMU's last words when it exits first.
 */
export async function launchQemu(launch: QemuLaunch): Promise<number> {
  const [binary = "", ...args] = launch.argv;
  const log = await open(launch.logFile, "a", 0o600);
  try {
    const child = spawn(binary, args, { detached: true, stdio: ["ignore", log.fd, log.fd] });
    let exited: string | undefined;
    child.once("error", (error) => {
      exited = `cannot run ${binary}: ${error.message}`;
    });
    child.once("exit", (code, signal) => {
      exited = `QEMU exited with ${code ?? signal} while starting`;
    });
    const deadline = Date.now() + launch.timeoutMs;
    while (exited === undefined) {
      if (child.pid !== undefined && (await isUp(launch, child.pid))) {
        child.unref();
        return child.pid;
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new QemuLaunchTimeoutError(
          `QEMU did not finish starting within ${launch.timeoutMs} ms; retrying`,
        );
      }
      await sleep(20);
    }
    const text = (await readOptionalFile(launch.logFile)) ?? "";
    const lastLines = text.trim().split("\n").slice(-3).join(" | ");
    throw new QemuLaunchError(`${exited}: ${lastLines}`);
  } finally {
    await log.close();
  }
}

async function isUp(launch: QemuLaunch, pid: number): Promise<boolean> {
  const named = (await readOptionalFile(launch.pidFile))?.trim() === String(pid);
  return (
    named &&
    (await stat(launch.qmpSocket).then(
      (s) => s.isSocket(),
      () => false,
    ))
  );
}
