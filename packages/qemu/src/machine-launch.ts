// Starting a machine's QEMU: the fw_cfg files, the command line, the confinement wrappers and cgroup, and
// the power record that says it was started.
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { type MachineIntent, PermanentBackendError } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { launchQemu, QemuLaunchError } from "./host/qemu-launch.js";
import { findMachineProcess } from "./host/qemu-ownership.js";
import type { BootImage } from "./images/image-source.js";
import { type MachineFiles, writePrivateFile } from "./machine-files.js";
import { buildQemuArgs } from "./model/command-line.js";
import { writePowerRecord } from "./model/power-record.js";
import type { NicPlan } from "./nics/nic-plugin.js";

/**
 * Unlocking a LUKS2 volume runs argon2id inside QEMU (librbd): up to 1 GiB, cryptsetup's largest memory cost,
 * which `rbd encryption format` picks on a host with the memory. Any machine may get an encrypted volume
 * hot-plugged, so its cgroup's memory limit always leaves room for one unlock (a 512 MiB limit had QEMU
 * OOM-killed during blockdev-add).
 */
const LUKS2_UNLOCK_BYTES = 1024n * 1024n * 1024n;

/** Starts the machine's QEMU (paused, devices still to add) and resolves its pid. */
export async function launchMachine(
  deps: BackendDeps,
  intent: MachineIntent,
  files: MachineFiles,
  nics: readonly NicPlan[],
  boot: BootImage | undefined,
  quickExits: number,
): Promise<number> {
  const { config, context, proof } = deps;
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
  await prepareFilesForQemu(deps, files, ignition, hostname !== "");
  const args = buildQemuArgs({
    machineId: intent.id,
    owner: context.owner.instanceId,
    files,
    accelerator: config.accelerator.accelerator,
    cpus: Number(intent.class.cpus),
    memoryBytes: intent.class.memoryBytes,
    firmware: config.firmware,
    ...(boot?.kernel
      ? {
          directBoot: {
            kernel: boot.kernel,
            commandLine: boot.commandLine ?? "",
            ...(boot.initramfs ? { initramfs: boot.initramfs } : {}),
          },
        }
      : {}),
    rootPorts: config.rootPorts,
    ignition,
    hostname: hostname !== "",
  });
  const limits = limitsOf(deps, intent);
  const group = files.cgroupName;
  const argv = config.confinement.launchArgv({
    qemuArgv: [config.qemuBinary, ...args],
    netns: config.netns,
    group,
    limits,
  });
  try {
    const started = await launchQemu({
      argv,
      logFile: files.qemuLog,
      pidFile: files.pidFile,
      qmpSocket: files.qmpSocket,
      timeoutMs: config.launchTimeoutMs,
    });
    await config.confinement.cgroups?.place(group, started, limits);
  } catch (error) {
    // A provider killed while QEMU was starting leaves that QEMU running (its pid file locked): adopt it.
    if ((await findMachineProcess(intent.id, proof)) === undefined) {
      if (error instanceof QemuLaunchError) {
        throw new PermanentBackendError("MachineStartFailed", error.message);
      }
      // A timeout (QemuLaunchTimeoutError) is a slow start under load: retried with back-off.
      throw error;
    }
  }
  const pid = await findMachineProcess(intent.id, proof);
  if (pid === undefined) throw new Error("QEMU started but its pid file names no QEMU of this machine");
  await writePowerRecord(files.powerFile, { started: true, startedAt: Date.now(), quickExits });
  return pid;
}

/** The class's CPUs and memory (plus QEMU's overhead) and the tasks cap, for the machine's cgroup. */
function limitsOf(deps: BackendDeps, intent: MachineIntent) {
  return {
    cpus: Number(intent.class.cpus),
    memoryBytes: intent.class.memoryBytes + deps.config.memoryOverheadBytes + LUKS2_UNLOCK_BYTES,
    pids: deps.config.pidsMax,
  };
}

/**
 * QEMU runs as an unprivileged user: it may enter the machine's directory, read its fw_cfg files, and write
 * its pid file, console log, sockets and disks; the rest (owner, devices.json, power.json) stays the
 * provider's. Every file is created here first, so QEMU never creates one with its own modes.
 */
async function prepareFilesForQemu(
  deps: BackendDeps,
  files: MachineFiles,
  ignition: boolean,
  hostname: boolean,
) {
  const { confinement } = deps.config;
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
