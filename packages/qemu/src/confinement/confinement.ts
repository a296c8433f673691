import { chmod, chown, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { BackendLogger } from "@iri/backend-api";
import { Gauge, type Registry } from "prom-client";
import { runCommand } from "../host/run-command.js";
import { type CgroupDriver, detectCgroupDriver } from "./cgroups.js";

/** seccomp filter QEMU installs on itself: no obsolete syscalls, no setuid, no fork/exec, no priority games. */
export const SANDBOX_OPTION = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

export interface QemuUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface ConfinementSettings {
  readonly qemuBinary: string;
  /** The unprivileged user QEMU runs as. */
  readonly user: string;
  /** auto, systemd, cgroup2 or cgroup1. */
  readonly cgroup: string;
  /** The cgroup (or systemd slice, without `.slice`) under which every QEMU gets its own. */
  readonly cgroupParent: string;
  readonly allowUnconfined: boolean;
}

/**
 * How QEMU processes are confined: run as an unprivileged user (setpriv drops root before exec, so QEMU never
 * holds it; `-runas` cannot be combined with the seccomp filter, which forbids setuid), QEMU's own seccomp
 * sandbox, and a cgroup per machine outside the provider's. A mechanism the host lacks is logged and exported
 * (`iri_qemu_confinement{mechanism}` 0) and stops the backend unless `--allow-unconfined` is given; then that
 * mechanism is left out and the rest still apply.
 */
export class Confinement {
  private constructor(
    /** undefined: QEMU runs as the provider's user (unconfined). */
    readonly user: QemuUser | undefined,
    readonly sandbox: boolean,
    readonly cgroups: CgroupDriver | undefined,
  ) {}

  static async open(
    settings: ConfinementSettings,
    logger: BackendLogger,
    metrics: Registry,
  ): Promise<Confinement> {
    const problems: string[] = [];
    const user = await lookUpUser(settings.user).catch((error: Error) => {
      problems.push(`user: ${error.message}`);
      return undefined;
    });
    const sandbox = await sandboxAvailable(settings.qemuBinary).catch((error: Error) => {
      problems.push(`sandbox: ${error.message}`);
      return false;
    });
    const cgroups = await detectCgroupDriver(settings.cgroup, settings.cgroupParent).catch((error: Error) => {
      problems.push(`cgroup: ${error.message}`);
      return undefined;
    });
    const gauge = new Gauge({
      name: "iri_qemu_confinement",
      help: "Confinement mechanisms machines run with (1) or without (0): user, sandbox, cgroup",
      labelNames: ["mechanism"],
      registers: [metrics],
    });
    gauge.set({ mechanism: "user" }, user ? 1 : 0);
    gauge.set({ mechanism: "sandbox" }, sandbox ? 1 : 0);
    gauge.set({ mechanism: "cgroup" }, cgroups ? 1 : 0);
    for (const problem of problems) logger.error({ problem }, "QEMU confinement mechanism unavailable");
    if (problems.length > 0 && !settings.allowUnconfined) {
      throw new Error(
        `QEMU cannot be confined on this host (${problems.join("; ")}); fix it or pass --allow-unconfined`,
      );
    }
    logger.info(
      { user: user?.name, sandbox, cgroup: cgroups?.kind },
      "QEMU confinement (README: Confinement)",
    );
    return new Confinement(user, sandbox, cgroups);
  }

  /** The argv that starts `qemuArgv` confined, as one process (each wrapper execs the next). */
  launchArgv(options: {
    readonly qemuArgv: readonly string[];
    readonly netns: string;
    readonly group: string;
    readonly limits: Parameters<CgroupDriver["launchPrefix"]>[1];
  }): string[] {
    const [binary = "", ...args] = options.qemuArgv;
    return [
      ...(this.cgroups?.launchPrefix(options.group, options.limits) ?? []),
      ...(options.netns === "" ? [] : ["ip", "netns", "exec", options.netns]),
      ...(this.user
        ? [
            "setpriv",
            `--reuid=${this.user.uid}`,
            `--regid=${this.user.gid}`,
            "--clear-groups",
            "--no-new-privs",
            "--",
          ]
        : []),
      binary,
      ...args,
      ...(this.sandbox ? ["-sandbox", SANDBOX_OPTION] : []),
    ];
  }

  /** Hands a file or directory QEMU writes to its user (mode 0600 or 0700 stays). */
  async giveToQemu(path: string): Promise<void> {
    if (this.user) await chown(path, this.user.uid, this.user.gid);
  }

  /** Lets QEMU's group read a file (0640) or enter a directory (0710), the provider still owning it. */
  async shareWithQemu(path: string, mode: 0o640 | 0o710 | 0o750 | 0o1730): Promise<void> {
    if (!this.user) return;
    await chown(path, process.geteuid?.() ?? 0, this.user.gid);
    await chmod(path, mode);
  }

  /**
   * Makes the way to `stateDir` passable for QEMU's user: the backend's directory and the provider's state
   * directories above it (at most two levels, `<state>/backend/qemu`) get o+x when the provider owns them —
   * entering, not listing. Anything further up must be passable already; otherwise the backend stops.
   */
  async openPathTo(stateDir: string): Promise<void> {
    const user = this.user;
    if (!user) return;
    let dir = stateDir;
    for (let level = 0; ; level++) {
      const info = await stat(dir);
      const passable =
        (info.mode & 0o001) !== 0 ||
        (info.uid === user.uid && (info.mode & 0o100) !== 0) ||
        (info.gid === user.gid && (info.mode & 0o010) !== 0);
      if (!passable) {
        if (level > 2 || info.uid !== process.geteuid?.()) {
          throw new Error(
            `QEMU's user ${user.name} cannot enter ${dir} on the way to ${stateDir}: allow it (chmod o+x) or choose another --state-dir`,
          );
        }
        await chmod(dir, (info.mode & 0o7777) | 0o001);
      }
      const parent = dirname(dir);
      if (parent === dir) return;
      dir = parent;
    }
  }
}

async function lookUpUser(name: string): Promise<QemuUser> {
  if (name === "") throw new Error("--qemu-user is empty");
  const line = await runCommand(["getent", "passwd", name]).catch(() => {
    throw new Error(
      `no user ${JSON.stringify(name)} on this host (scripts/install-deps.sh creates iri-qemu)`,
    );
  });
  const [, , uid, gid] = line.trim().split(":");
  const user = { name, uid: Number(uid), gid: Number(gid) };
  if (!Number.isSafeInteger(user.uid) || !Number.isSafeInteger(user.gid)) {
    throw new Error(`getent passwd ${name} gave no numeric uid and gid`);
  }
  if (user.uid === 0 || user.gid === 0) throw new Error(`user ${name} is root, not unprivileged`);
  return user;
}

async function sandboxAvailable(binary: string): Promise<boolean> {
  const help = await runCommand([binary, "-help"]);
  if (!help.includes("-sandbox on")) throw new Error(`${binary} was built without seccomp (-sandbox)`);
  return true;
}
