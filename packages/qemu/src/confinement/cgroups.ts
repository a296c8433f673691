import { access, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What one machine's QEMU may use, from its class. */
export interface QemuLimits {
  readonly cpus: number;
  /** The class's memory plus QEMU's own overhead. */
  readonly memoryBytes: bigint;
  readonly pids: number;
}

/**
 * Puts each QEMU into a control group of its own, outside the provider's, with its class's limits: a restart
 * of the provider (or of its cgroup, systemd unit or pod) leaves guests running, and a guest cannot take more
 * than its class. `launchPrefix` runs before QEMU's argv (systemd's transient scope); `place` moves a started
 * QEMU (the cgroup file systems); `release` removes an empty group after QEMU is gone.
 */
export interface CgroupDriver {
  readonly kind: "systemd" | "cgroup2" | "cgroup1";
  launchPrefix(group: string, limits: QemuLimits): string[];
  place(group: string, pid: number, limits: QemuLimits): Promise<void>;
  release(group: string): Promise<void>;
  /** Where the group lives, for operators and tests (the v1 memory hierarchy's path with cgroup v1). */
  describe(group: string): string;
}

const CPU_PERIOD_US = 100_000;
/** The weight of one runnable task (v1 `cpu.shares`, v2 `cpu.weight` defaults). */
const V1_SHARES_PER_CPU = 1024;
const V2_WEIGHT_PER_CPU = 100;
const V2_MAX_WEIGHT = 10_000;

/**
 * The parent group's CPU weight, kept at the sum of its machines' weights (one task's weight per vCPU).
 * The parent is one scheduling entity beside the host's other tasks: at the default weight every guest
 * together would weigh one task, so under contention ten guests got the CPU of one busy process, while a
 * QEMU started by hand competes thread for thread. Recomputed from the children's own files after every
 * place and release (nothing to rebuild after a restart), one update at a time.
 */
class ParentWeight {
  private queue: Promise<void> = Promise.resolve();
  constructor(
    private readonly dir: () => string,
    private readonly file: string,
    private readonly weight: { perCpu: number; max: number },
  ) {}

  update(): Promise<void> {
    const next = this.queue.then(() => this.write());
    this.queue = next.catch(() => {});
    return next;
  }

  private async write(): Promise<void> {
    const parent = this.dir();
    let total = 0;
    for (const entry of await readdir(parent, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const value = await readFile(join(parent, entry.name, this.file), "utf8").catch(() => "");
      // A group removed meanwhile reads as nothing; anything but a plain number counts for nothing.
      if (/^\d{1,7}\n?$/.test(value)) total += Number.parseInt(value, 10);
    }
    const weight = Math.min(this.weight.max, Math.max(this.weight.perCpu, total));
    await writeFile(join(parent, this.file), String(weight));
  }
}

/**
 * cgroup v1 controllers mounted one per directory (`<root>/cpu`, `<root>/memory`, `<root>/pids`), as on hosts
 * without systemd: the provider creates `<parent>/<group>` in each and writes the limits itself. Writing the pid
 * to `cgroup.procs` moves all of QEMU's threads; memory QEMU touched before the move (it starts paused, so only
 * its own start-up) stays charged to the provider's group.
 */
export class CgroupV1Driver implements CgroupDriver {
  readonly kind = "cgroup1";
  constructor(
    private readonly root: string,
    private readonly parent: string,
  ) {}

  static readonly controllers = ["cpu", "memory", "pids"] as const;

  launchPrefix(): string[] {
    return [];
  }

  /** Creates the parent group in every controller: the availability probe. */
  async prepare(): Promise<void> {
    for (const controller of CgroupV1Driver.controllers) {
      await mkdir(join(this.root, controller, this.parent), { recursive: true });
    }
  }

  async place(group: string, pid: number, limits: QemuLimits): Promise<void> {
    const dir = (controller: string) => join(this.root, controller, this.parent, group);
    for (const controller of CgroupV1Driver.controllers) await mkdir(dir(controller), { recursive: true });
    await writeFile(join(dir("cpu"), "cpu.cfs_period_us"), String(CPU_PERIOD_US));
    await writeFile(join(dir("cpu"), "cpu.cfs_quota_us"), String(limits.cpus * CPU_PERIOD_US));
    await writeFile(join(dir("cpu"), "cpu.shares"), String(limits.cpus * V1_SHARES_PER_CPU));
    await writeFile(join(dir("memory"), "memory.limit_in_bytes"), String(limits.memoryBytes));
    await writeFile(join(dir("pids"), "pids.max"), String(limits.pids));
    for (const controller of CgroupV1Driver.controllers) {
      await writeFile(join(dir(controller), "cgroup.procs"), String(pid));
    }
    await this.parentWeight.update();
  }

  async release(group: string): Promise<void> {
    for (const controller of CgroupV1Driver.controllers) {
      await removeGroup(join(this.root, controller, this.parent, group));
    }
    await this.parentWeight.update();
  }

  private readonly parentWeight = new ParentWeight(() => join(this.root, "cpu", this.parent), "cpu.shares", {
    perCpu: V1_SHARES_PER_CPU,
    max: 262_144,
  });

  describe(group: string): string {
    return join(this.root, "memory", this.parent, group);
  }
}

/**
 * The unified hierarchy (cgroup v2) without systemd: `<root>/<parent>` delegates cpu, memory and pids to its
 * children, `<root>/<parent>/<group>` holds one QEMU with `cpu.max`, `memory.max` and `pids.max`.
 */
export class CgroupV2Driver implements CgroupDriver {
  readonly kind = "cgroup2";
  constructor(
    private readonly root: string,
    private readonly parent: string,
  ) {}

  launchPrefix(): string[] {
    return [];
  }

  async prepare(): Promise<void> {
    const controllers = (await readFile(join(this.root, "cgroup.controllers"), "utf8")).split(/\s+/);
    const missing = ["cpu", "memory", "pids"].filter((c) => !controllers.includes(c));
    if (missing.length > 0) {
      throw new Error(`cgroup v2 at ${this.root} does not offer the controllers ${missing.join(", ")}`);
    }
    await mkdir(join(this.root, this.parent), { recursive: true });
    await writeFile(join(this.root, this.parent, "cgroup.subtree_control"), "+cpu +memory +pids");
  }

  async place(group: string, pid: number, limits: QemuLimits): Promise<void> {
    const dir = join(this.root, this.parent, group);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "cpu.max"), `${limits.cpus * CPU_PERIOD_US} ${CPU_PERIOD_US}`);
    await writeFile(
      join(dir, "cpu.weight"),
      String(Math.min(V2_MAX_WEIGHT, limits.cpus * V2_WEIGHT_PER_CPU)),
    );
    await writeFile(join(dir, "memory.max"), String(limits.memoryBytes));
    await writeFile(join(dir, "pids.max"), String(limits.pids));
    await writeFile(join(dir, "cgroup.procs"), String(pid));
    await this.parentWeight.update();
  }

  async release(group: string): Promise<void> {
    await removeGroup(join(this.root, this.parent, group));
    await this.parentWeight.update();
  }

  private readonly parentWeight = new ParentWeight(() => join(this.root, this.parent), "cpu.weight", {
    perCpu: V2_WEIGHT_PER_CPU,
    max: V2_MAX_WEIGHT,
  });

  describe(group: string): string {
    return join(this.root, this.parent, group);
  }
}

/**
 * Where systemd is PID 1 it owns the cgroup tree: QEMU is started through `systemd-run --scope` as a transient
 * scope in `<parent>.slice` with the limits as unit properties, which systemd removes when QEMU exits.
 */
export class SystemdScopeDriver implements CgroupDriver {
  readonly kind = "systemd";
  constructor(private readonly parent: string) {}

  launchPrefix(group: string, limits: QemuLimits): string[] {
    return [
      "systemd-run",
      "--scope",
      "--quiet",
      "--collect",
      `--unit=${group}`,
      `--slice=${this.parent}.slice`,
      "-p",
      `CPUQuota=${limits.cpus * 100}%`,
      "-p",
      `MemoryMax=${limits.memoryBytes}`,
      "-p",
      `TasksMax=${limits.pids}`,
      "--",
    ];
  }

  async place(): Promise<void> {}

  async release(): Promise<void> {}

  describe(group: string): string {
    return `${this.parent}.slice/${group}.scope`;
  }
}

/** The cgroup mechanism this host offers: `choice` auto picks systemd, then cgroup v2, then v1. */
export async function detectCgroupDriver(
  choice: string,
  parent: string,
  root = "/sys/fs/cgroup",
): Promise<CgroupDriver> {
  const systemd = await exists("/run/systemd/system");
  const unified = await exists(join(root, "cgroup.controllers"));
  const kind = choice !== "auto" ? choice : systemd ? "systemd" : unified ? "cgroup2" : "cgroup1";
  if (kind === "systemd") {
    if (!systemd) throw new Error("systemd is not running on this host (no /run/systemd/system)");
    return new SystemdScopeDriver(parent);
  }
  if (kind === "cgroup2") {
    const driver = new CgroupV2Driver(root, parent);
    await driver.prepare();
    return driver;
  }
  if (kind === "cgroup1") {
    const driver = new CgroupV1Driver(root, parent);
    await driver.prepare();
    return driver;
  }
  throw new Error(`--qemu-cgroup must be auto, systemd, cgroup2 or cgroup1, not ${JSON.stringify(choice)}`);
}

/** Removes an empty group; one that still holds a process (or is gone already) is left. */
async function removeGroup(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EBUSY") throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
