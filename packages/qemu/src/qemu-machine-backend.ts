import { open, readdir } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { dirname } from "node:path";
import type { Duplex } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import {
  type ApplyOutcome,
  type BackendContext,
  type HostCapacity,
  type MachineBackend,
  type MachineIntent,
  type MachineObservation,
  type ObjectRef,
  type OperationContext,
  type OwnedResource,
  PermanentBackendError,
  type RemoveOutcome,
} from "@iri/backend-api";
import type { Confinement } from "./confinement/confinement.js";
import { ConsoleHub } from "./console/console-hub.js";
import { ConsoleLogCap } from "./console/console-log-cap.js";
import { syncDevices } from "./device-sync.js";
import type { AcceleratorChoice } from "./host/accelerator.js";
import { launchQemu, QemuLaunchError } from "./host/qemu-launch.js";
import {
  findMachineProcess,
  type QemuProof,
  scanOurQemus,
  whyNotOurMachineDir,
} from "./host/qemu-ownership.js";
import { killQemu } from "./host/qemu-process.js";
import { type BootImage, type ImageSource, ImageUnusableError } from "./images/image-source.js";
import {
  MachineFiles,
  machinesDir,
  readCreationTag,
  readOptionalFile,
  writeCreationTag,
  writePrivateFile,
} from "./machine-files.js";
import { buildQemuArgs, type Firmware } from "./model/command-line.js";
import { noteGuestExit, restartDelayMs } from "./model/crash-loop.js";
import { readInventory } from "./model/device-inventory.js";
import { readImageRecord, writeImageRecord } from "./model/image-record.js";
import { type PowerRecord, readPowerRecord, writePowerRecord } from "./model/power-record.js";
import { InvalidVolumeError, planVolume, type VolumePlan, volumeProblem } from "./model/volume-plan.js";
import { type NicPlan, type NicPlugin, planNetworkInterface } from "./nics/nic-plugin.js";
import { QmpConnections } from "./qmp/qmp-connections.js";

export interface QemuBackendConfig {
  readonly qemuBinary: string;
  /** The real path of qemuBinary: what `/proc/<pid>/exe` of its processes shows. */
  readonly qemuExecutable: string;
  /** The uid QEMU processes run as (orphan handling takes no process of another uid for a machine). */
  readonly qemuUid: number;
  readonly accelerator: AcceleratorChoice;
  readonly firmware: Firmware;
  readonly rootPorts: number;
  /** How long a guest may take to power off after an ACPI shutdown request before it is stopped hard. */
  readonly shutdownTimeoutMs: number;
  /** Size of a local disk without an image and without size_bytes. */
  readonly emptyDiskBytes: bigint;
  readonly nicPlugin: NicPlugin;
  /** A network namespace QEMU runs in ("" for the provider's own). */
  readonly netns: string;
  readonly imageSource: ImageSource;
  readonly qmpTimeoutMs: number;
  readonly launchTimeoutMs: number;
  /** User, sandbox and cgroup QEMU runs with (see confinement/). */
  readonly confinement: Confinement;
  /** Added to a class's memory for QEMU's own use in its cgroup's memory limit. */
  readonly memoryOverheadBytes: bigint;
  /** Tasks (threads) one QEMU may have. */
  readonly pidsMax: number;
  /** How long a guest has to release an unplugged device before a GuestIgnoresUnplug Warning. */
  readonly unplugTimeoutMs: number;
  /** Disk space one machine's console log takes at most (console.log + console.log.1). */
  readonly consoleLogBytes: number;
}

const { MachineState, VolumeState, NetworkInterfaceState, Power } = machine;

/** The form of the tap names NIC plugins give (`iri` and at most 12 alphanumerics: 15, the kernel's limit). */
const TAP_NAME = /^iri[a-z0-9]{1,12}$/;

/**
 * Unlocking a LUKS2 volume runs argon2id inside QEMU (librbd): up to 1 GiB, cryptsetup's largest memory cost,
 * which `rbd encryption format` picks on a host with the memory. Any machine may get an encrypted volume
 * hot-plugged, so its cgroup's memory limit always leaves room for one unlock (a 512 MiB limit had QEMU
 * OOM-killed during blockdev-add).
 */
const LUKS2_UNLOCK_BYTES = 1024n * 1024n * 1024n;

/** The QEMU machine backend: see the package README for layout, handles and events. */
export class QemuMachineBackend implements MachineBackend {
  readonly name = "qemu";
  private readonly connections: QmpConnections;
  private readonly consoles = new Map<string, ConsoleHub>();
  private readonly proof: QemuProof;
  private readonly consoleLogCap: ConsoleLogCap;

  constructor(
    private readonly config: QemuBackendConfig,
    private readonly context: BackendContext,
  ) {
    this.proof = { binary: config.qemuExecutable, uid: config.qemuUid, stateDir: context.stateDir };
    this.consoleLogCap = new ConsoleLogCap(config.consoleLogBytes);
    this.connections = new QmpConnections({
      connectTimeoutMs: config.qmpTimeoutMs,
      commandTimeoutMs: config.qmpTimeoutMs,
      onChange: (id) => context.notify(id),
    });
  }

  async apply(
    intent: MachineIntent,
    ctx: OperationContext<MachineObservation>,
  ): Promise<ApplyOutcome<MachineObservation>> {
    const files = new MachineFiles(this.context.stateDir, intent.id);
    await files.ensure();
    if ((await readOptionalFile(files.ownerFile)) === undefined) {
      await writePrivateFile(files.ownerFile, this.context.owner.instanceId);
    }
    if ((await readCreationTag(files)) === undefined) await writeCreationTag(files, ctx.tag);
    const volumes = intent.spec.volumes.map((volume) => planOrReject(intent.id, volume));
    const nics = intent.spec.networkInterfaces.map((nic) => planNetworkInterface(intent.id, nic));
    let pid = await findMachineProcess(intent.id, this.proof);
    const power = await readPowerRecord(files.powerFile);

    if (intent.spec.power === Power.OFF) {
      if (pid !== undefined) {
        const waiting = await this.stopGracefully(intent.id, files, pid, ctx.event);
        if (waiting)
          return {
            observation: this.configuredObservation(MachineState.MACHINE_RUNNING, volumes, nics),
            notDone: waiting,
          };
      }
      if (power.started) {
        await this.config.confinement.cgroups?.release(files.cgroupName);
        await writePowerRecord(files.powerFile, { started: false });
        ctx.event("Normal", "MachinePoweredOff", `machine powered off${shutdownTook(power)}`);
      }
      return { observation: this.configuredObservation(MachineState.MACHINE_SUSPENDED, volumes, nics) };
    }

    const image = await this.bootImage(intent, files, volumes);
    if ("notDone" in image) {
      return {
        observation: this.configuredObservation(MachineState.MACHINE_PENDING, volumes, nics, true),
        notDone: image.notDone,
      };
    }
    await this.shareImageFiles([...image.bases.values(), image.boot?.kernel, image.boot?.initramfs]);
    if (pid === undefined) {
      let quickExits = 0;
      if (power.started) {
        const exited = noteGuestExit(power, Date.now());
        if (exited !== power) await writePowerRecord(files.powerFile, exited);
        quickExits = exited.quickExits ?? 0;
        const left = (exited.exitedAt ?? 0) + restartDelayMs(exited) - Date.now();
        if (left > 0) {
          return {
            observation: this.configuredObservation(MachineState.MACHINE_PENDING, volumes, nics, true),
            notDone: {
              afterMs: left,
              reason: "CrashLoopBackOff",
              message: `the guest powered itself off ${quickExits} times in a row soon after starting; starting it again in ${Math.ceil(left / 1000)} s`,
            },
          };
        }
        ctx.event(
          "Normal",
          "GuestShutdown",
          "the guest powered off while the spec says on; starting it again",
        );
      }
      pid = await this.launch(intent, files, nics, image.boot, quickExits);
      ctx.event(
        "Normal",
        "MachineStarted",
        `QEMU started (pid ${pid}, accelerator ${this.config.accelerator.accelerator}: ${this.config.accelerator.reason})`,
      );
    }
    this.consoleLogCap.watch(files.consoleLog);
    const qmp = await this.connections.get(intent.id, files.qmpSocket);
    const status = await qmp.execute<{ status: string }>("query-status");
    const beforeBoot = status.status === "prelaunch";
    const devices = await syncDevices({
      qmp,
      files,
      volumes,
      nics,
      bases: image.bases,
      rootPorts: this.config.rootPorts,
      emptyDiskBytes: this.config.emptyDiskBytes,
      nicPlugin: this.config.nicPlugin,
      beforeBoot,
      bootVolume: image.boot?.kernel ? undefined : (image.bootVolume ?? volumes[0]?.name),
      event: ctx.event,
      giveToQemu: (path) => this.config.confinement.giveToQemu(path),
      unplugTimeoutMs: this.config.unplugTimeoutMs,
    });
    if (beforeBoot) {
      // A reset makes the firmware read the boot order of the devices just added.
      await qmp.execute("system_reset");
      await qmp.execute("cont");
    }
    const observation: MachineObservation = {
      state: MachineState.MACHINE_RUNNING,
      imageRef: image.ref,
      volumes: devices.volumes,
      networkInterfaces: devices.networkInterfaces,
    };
    if (devices.blocked.length > 0) {
      // Recorded as a Warning: more devices than root ports needs a larger --qemu-pcie-root-ports (and a restart
      // of the machine) or fewer devices.
      const message = [...devices.blocked, ...devices.waiting].join("; ");
      return { observation, notDone: { afterMs: 30_000, reason: "NoFreePciePort", message, blocked: true } };
    }
    if (devices.waiting.length > 0) {
      return {
        observation,
        notDone: { afterMs: 1000, reason: "DevicesChanging", message: devices.waiting.join("; ") },
      };
    }
    if (devices.stalled.length > 0) {
      return {
        observation,
        notDone: { afterMs: 30_000, reason: "GuestIgnoresUnplug", message: devices.stalled.join("; ") },
      };
    }
    return { observation };
  }

  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    const files = new MachineFiles(this.context.stateDir, ref.id);
    const pid =
      (await findMachineProcess(ref.id, this.proof)) ?? (await this.findStrayProcess(ref.id, files));
    if (pid !== undefined) {
      // A QEMU whose directory was lost: the shutdown deadline needs a place again.
      await files.ensure();
      const waiting = await this.stopGracefully(ref.id, files, pid, ref.event);
      if (waiting) return waiting;
    }
    const power = await readPowerRecord(files.powerFile);
    if (power.started && power.powerdownAt !== undefined) {
      ref.event("Normal", "MachineShutDown", `the guest powered off${shutdownTook(power)}`);
    }
    this.consoleLogCap.unwatch(files.consoleLog);
    this.consoles.get(ref.id)?.close();
    this.consoles.delete(ref.id);
    await this.connections.drop(ref.id);
    const inventory = await readInventory(files.inventoryFile).catch(() => ({}));
    for (const entry of Object.values(inventory)) {
      if (entry.kind !== "nic" || !entry.tap) continue;
      // Read from a file: only a name of the form the backend gives taps may reach `ip link del`.
      if (!TAP_NAME.test(entry.tap)) {
        this.context.logger.warn(
          { id: ref.id, tap: entry.tap },
          "device inventory names no tap of ours; left alone",
        );
        continue;
      }
      await this.config.nicPlugin.release(entry.tap);
    }
    await this.config.confinement.cgroups?.release(files.cgroupName);
    await files.remove();
    return undefined;
  }

  async listOwned(): Promise<OwnedResource[]> {
    const owned = new Map<string, OwnedResource>();
    let entries: string[] = [];
    try {
      entries = await readdir(machinesDir(this.context.stateDir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const id of entries) {
      // Only a directory the backend made (a valid id, a real directory of the provider's uid) is a machine.
      const notOurs = await whyNotOurMachineDir(id, this.context.stateDir);
      if (notOurs !== undefined) {
        this.context.logger.warn({ entry: id, because: notOurs }, "machines directory entry left alone");
        continue;
      }
      const files = new MachineFiles(this.context.stateDir, id);
      const owner = (await readOptionalFile(files.ownerFile))?.trim() ?? "";
      const created = await readCreationTag(files);
      owned.set(id, { id, owner, ...(created ? { created } : {}) });
    }
    // A QEMU whose directory is gone cannot prove which machine it is (its pid file is not in a directory of
    // ours): reported for an operator when the kernel says it is our QEMU binary as our uid, never removed.
    for (const process of await scanOurQemus(this.proof)) {
      if (owned.has(process.machineId) || process.unproven !== undefined) continue;
      owned.set(process.machineId, {
        id: process.machineId,
        owner: process.owner,
        unproven: `QEMU pid ${process.pid} names machine ${process.machineId}, whose directory is gone`,
      });
    }
    return [...owned.values()];
  }

  volumeProblem(volume: machine.Volume): string | undefined {
    return volumeProblem(volume);
  }

  async hostCapacity(): Promise<HostCapacity> {
    return { cpus: availableParallelism(), memoryBytes: BigInt(totalmem()) };
  }

  async openConsole(id: string, signal: AbortSignal): Promise<Duplex> {
    const files = new MachineFiles(this.context.stateDir, id);
    if ((await findMachineProcess(id, this.proof)) === undefined) {
      throw new Error(`machine ${id} is not running`);
    }
    let hub = this.consoles.get(id);
    if (!hub) {
      hub = new ConsoleHub(files.serialSocket);
      this.consoles.set(id, hub);
    }
    return hub.open(signal);
  }

  async close(): Promise<void> {
    this.consoleLogCap.close();
    for (const hub of this.consoles.values()) hub.close();
    this.consoles.clear();
    await this.connections.closeAll();
    await this.config.imageSource.close?.();
  }

  /**
   * ACPI shutdown first, a hard stop once the deadline passed. Returns NotDone while the guest still has
   * time, so no worker waits for it; the deadline survives restarts in the power record.
   */
  private async stopGracefully(
    id: string,
    files: MachineFiles,
    pid: number,
    event: ObjectRef["event"],
  ): Promise<ApplyOutcome<MachineObservation>["notDone"]> {
    const record = await readPowerRecord(files.powerFile);
    const now = Date.now();
    if (record.powerdownAt === undefined) {
      const qmp = await this.connections.get(id, files.qmpSocket).catch(() => undefined);
      const requested = await qmp?.execute("system_powerdown").then(
        () => true,
        () => false,
      );
      if (requested && this.config.shutdownTimeoutMs > 0) {
        await writePowerRecord(files.powerFile, { started: true, powerdownAt: now });
        event(
          "Normal",
          "ShutdownRequested",
          `ACPI shutdown requested; hard stop after ${this.config.shutdownTimeoutMs} ms`,
        );
        return {
          afterMs: Math.min(1000, this.config.shutdownTimeoutMs),
          reason: "ShuttingDown",
          message: "waiting for the guest to power off",
        };
      }
    } else if (now - record.powerdownAt < this.config.shutdownTimeoutMs) {
      const left = this.config.shutdownTimeoutMs - (now - record.powerdownAt);
      return {
        afterMs: Math.min(1000, left),
        reason: "ShuttingDown",
        message: "waiting for the guest to power off",
      };
    } else {
      event(
        "Normal",
        "HardStop",
        `the guest did not power off within ${this.config.shutdownTimeoutMs} ms; stopped`,
      );
    }
    await this.connections.drop(id);
    await killQemu(pid, this.config.launchTimeoutMs);
    await this.config.confinement.cgroups?.release(files.cgroupName);
    await writePowerRecord(files.powerFile, { started: false });
    return undefined;
  }

  /** The QEMU of a machine the store knows whose directory was lost (proven by executable, uid and argv). */
  private async findStrayProcess(id: string, files: MachineFiles): Promise<number | undefined> {
    const found = (await scanOurQemus(this.proof)).find(
      (p) =>
        p.unproven === undefined &&
        p.machineId === id &&
        p.pidFile === files.pidFile &&
        p.owner === this.context.owner.instanceId,
    );
    return found?.pid;
  }

  /**
   * The image of the boot volume and the bases of local disks. Pulled as de-duplicated jobs the first time,
   * then pinned in the machine's image record: a restart or power-on never needs the registry, and a disk's
   * overlay never sees its base change under it when a tag moves.
   */
  private async bootImage(
    intent: MachineIntent,
    files: MachineFiles,
    volumes: readonly VolumePlan[],
  ): Promise<
    | { ref: string; boot: BootImage | undefined; bootVolume?: string; bases: Map<string, string> }
    | { notDone: NonNullable<ApplyOutcome<MachineObservation>["notDone"]> }
  > {
    const bases = new Map<string, string>();
    const pinned = await readImageRecord(files.imageRecordFile);
    let boot: BootImage | undefined;
    let bootVolume: string | undefined;
    let ref = "";
    for (const plan of volumes) {
      if (plan.kind !== "local" || !plan.image) continue;
      let image = pinned[plan.image];
      if (!image) {
        const key = `qemu-image ${plan.image}`;
        const job = this.context.jobs.ensure(key, async (handle) => {
          const pulled = await this.config.imageSource.pull(plan.image ?? "", handle.signal);
          this.context.event(
            intent.id,
            "Normal",
            "ImagePulled",
            `image ${plan.image} pulled (${pulled.digest})`,
          );
          return pulled;
        });
        if (job.status === "running") {
          return {
            notDone: { afterMs: 500, reason: "ImagePulling", message: `pulling image ${plan.image}` },
          };
        }
        if (job.status === "failed") {
          this.context.jobs.forget(key);
          const message = `image ${plan.image}: ${(job.error as Error).message}`;
          if (job.error instanceof ImageUnusableError)
            throw new PermanentBackendError("ImagePullFailed", message);
          throw job.error;
        }
        image = job.value;
        pinned[plan.image] = image;
        await writeImageRecord(files.imageRecordFile, pinned);
        await this.config.imageSource.collect?.(await this.pinnedDigests());
      }
      if (image.rootfs) bases.set(plan.name, image.rootfs);
      // The first local disk with an image boots, wherever it is in the list: IronCore's machinepoollet puts
      // the machine's remote volumes (Ceph) first and its local disks after them.
      if (boot === undefined) {
        boot = image;
        bootVolume = plan.name;
        ref = `${plan.image}@${image.digest}`;
      }
    }
    return { ref, boot, bootVolume, bases };
  }

  private async launch(
    intent: MachineIntent,
    files: MachineFiles,
    nics: readonly NicPlan[],
    boot: BootImage | undefined,
    quickExits: number,
  ): Promise<number> {
    const spec = intent.spec;
    const ignition = spec.ignitionData.length > 0;
    const hostname = spec.guestConfig?.hostname ?? "";
    if (ignition) await writePrivateFile(files.ignitionFile, spec.ignitionData);
    if (hostname !== "") await writePrivateFile(files.hostnameFile, hostname);
    await writePrivateFile(
      files.networkMetadataFile,
      JSON.stringify(
        nics.map((nic) => ({ name: nic.name, mac: nic.mac, networkId: nic.networkId, ips: nic.ips })),
      ),
    );
    await this.prepareFilesForQemu(files, ignition, hostname !== "");
    const args = buildQemuArgs({
      machineId: intent.id,
      owner: this.context.owner.instanceId,
      files,
      accelerator: this.config.accelerator.accelerator,
      cpus: Number(intent.class.cpus),
      memoryBytes: intent.class.memoryBytes,
      firmware: this.config.firmware,
      ...(boot?.kernel
        ? {
            directBoot: {
              kernel: boot.kernel,
              commandLine: boot.commandLine ?? "",
              ...(boot.initramfs ? { initramfs: boot.initramfs } : {}),
            },
          }
        : {}),
      rootPorts: this.config.rootPorts,
      ignition,
      hostname: hostname !== "",
    });
    const limits = this.limitsOf(intent);
    const group = files.cgroupName;
    const argv = this.config.confinement.launchArgv({
      qemuArgv: [this.config.qemuBinary, ...args],
      netns: this.config.netns,
      group,
      limits,
    });
    try {
      const started = await launchQemu({
        argv,
        logFile: files.qemuLog,
        pidFile: files.pidFile,
        qmpSocket: files.qmpSocket,
        timeoutMs: this.config.launchTimeoutMs,
      });
      await this.config.confinement.cgroups?.place(group, started, limits);
    } catch (error) {
      // A provider killed while QEMU was starting leaves that QEMU running (its pid file locked): adopt it.
      if ((await findMachineProcess(intent.id, this.proof)) === undefined) {
        if (error instanceof QemuLaunchError) {
          throw new PermanentBackendError("MachineStartFailed", error.message);
        }
        // A timeout (QemuLaunchTimeoutError) is a slow start under load: retried with back-off.
        throw error;
      }
    }
    const pid = await findMachineProcess(intent.id, this.proof);
    if (pid === undefined) throw new Error("QEMU started but its pid file names no QEMU of this machine");
    await writePowerRecord(files.powerFile, { started: true, startedAt: Date.now(), quickExits });
    return pid;
  }

  /** The manifest digests every machine's image record pins: images the cache must keep. */
  private async pinnedDigests(): Promise<Set<string>> {
    const digests = new Set<string>();
    const ids = await readdir(machinesDir(this.context.stateDir)).catch(() => []);
    for (const id of ids) {
      const record = await readImageRecord(new MachineFiles(this.context.stateDir, id).imageRecordFile).catch(
        () => ({}),
      );
      for (const image of Object.values(record)) digests.add(image.digest);
    }
    return digests;
  }

  /**
   * Lets QEMU's user read the cached image files a machine uses (local disks' bases, the kernel and initramfs)
   * and enter their directories. Files outside the state directory are left as they are.
   */
  private async shareImageFiles(paths: ReadonlyArray<string | undefined>): Promise<void> {
    const root = this.context.stateDir;
    for (const path of paths) {
      if (path === undefined || !path.startsWith(`${root}/`)) continue;
      await this.config.confinement.shareWithQemu(path, 0o640);
      for (let dir = dirname(path); dir.startsWith(`${root}/`); dir = dirname(dir)) {
        await this.config.confinement.shareWithQemu(dir, 0o710);
      }
    }
  }

  /** The class's CPUs and memory (plus QEMU's overhead) and the tasks cap, for the machine's cgroup. */
  private limitsOf(intent: MachineIntent) {
    return {
      cpus: Number(intent.class.cpus),
      memoryBytes: intent.class.memoryBytes + this.config.memoryOverheadBytes + LUKS2_UNLOCK_BYTES,
      pids: this.config.pidsMax,
    };
  }

  /**
   * QEMU runs as an unprivileged user: it may enter the machine's directory, read its fw_cfg files, and write
   * its pid file, console log, sockets and disks; the rest (owner, devices.json, power.json) stays the
   * provider's. Every file is created here first, so QEMU never creates one with its own modes.
   */
  private async prepareFilesForQemu(files: MachineFiles, ignition: boolean, hostname: boolean) {
    const confinement = this.config.confinement;
    await confinement.shareWithQemu(dirname(files.dir), 0o710);
    await confinement.shareWithQemu(files.dir, 0o710);
    await confinement.shareWithQemu(files.socketsDir, 0o1730);
    await confinement.giveToQemu(files.disksDir);
    const shared = [files.networkMetadataFile];
    if (ignition) shared.push(files.ignitionFile);
    if (hostname) shared.push(files.hostnameFile);
    for (const file of shared) await confinement.shareWithQemu(file, 0o640);
    // What a guest prints is the user's business: 0600, QEMU's user only.
    for (const file of [files.consoleLog, files.pidFile]) {
      await (await open(file, "a", 0o600)).close();
      await confinement.giveToQemu(file);
    }
  }

  /** The machine's devices as configured, for states in which no QEMU holds them. */
  private configuredObservation(
    state: machine.MachineState,
    volumes: readonly VolumePlan[],
    nics: readonly NicPlan[],
    pending = false,
  ): MachineObservation {
    const volumeState = pending ? VolumeState.VOLUME_PENDING : VolumeState.VOLUME_ATTACHED;
    const nicState = pending
      ? NetworkInterfaceState.NETWORK_INTERFACE_PENDING
      : NetworkInterfaceState.NETWORK_INTERFACE_ATTACHED;
    return {
      state,
      volumes: volumes.map((v) =>
        create(machine.VolumeStatusSchema, { name: v.name, handle: v.handle, state: volumeState }),
      ),
      networkInterfaces: nics.map((n) =>
        create(machine.NetworkInterfaceStatusSchema, {
          name: n.name,
          handle: this.config.nicPlugin.handle(n),
          state: nicState,
        }),
      ),
    };
  }
}

/** " after N ms" since the ACPI shutdown request, for events; "" when none was requested. */
function shutdownTook(record: PowerRecord): string {
  if (record.powerdownAt === undefined) return "";
  return ` ${Date.now() - record.powerdownAt} ms after the ACPI shutdown request`;
}

function planOrReject(machineId: string, volume: machine.Volume): VolumePlan {
  try {
    return planVolume(machineId, volume);
  } catch (error) {
    if (error instanceof InvalidVolumeError) throw new PermanentBackendError("InvalidVolume", error.message);
    throw error;
  }
}
