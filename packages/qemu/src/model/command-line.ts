import type { MachineFiles } from "../machine-files.js";

/** fw_cfg entry carrying the owner instance id: on the command line, so /proc tells whose QEMU it is. */
export const OWNER_FW_CFG_NAME = "opt/dev.ironcore/owner";
/** fw_cfg entries the guest can read under /sys/firmware/qemu_fw_cfg/by_name/. */
export const IGNITION_FW_CFG_NAME = "opt/com.coreos/config";
export const HOSTNAME_FW_CFG_NAME = "opt/dev.ironcore/hostname";
export const NETWORK_FW_CFG_NAME = "opt/dev.ironcore/network-interfaces";

export type Accelerator = "kvm" | "tcg";

export type Firmware = { readonly kind: "bios" } | { readonly kind: "uefi"; readonly path: string };

export interface DirectKernelBoot {
  readonly kernel: string;
  readonly initramfs?: string;
  readonly commandLine: string;
}

export interface LaunchModel {
  readonly machineId: string;
  readonly owner: string;
  readonly files: MachineFiles;
  readonly accelerator: Accelerator;
  readonly cpus: number;
  readonly memoryBytes: bigint;
  readonly firmware: Firmware;
  readonly directBoot?: DirectKernelBoot;
  /** PCIe root ports: one per disk and NIC, the rest are free for hot-plug. */
  readonly rootPorts: number;
  readonly ignition: boolean;
  readonly hostname: boolean;
}

/** The root port device id of port `index` (0-based). */
export function rootPortId(index: number): string {
  return `rp${index}`;
}

/**
 * The QEMU argv for a machine. It holds no secret (ignition, keys and passphrases travel in 0600 files or
 * over QMP). QEMU starts paused (`-S`): the devices are added over QMP and then the guest is resumed, so a
 * cold start and a hot-plug take the same path.
 */
export function buildQemuArgs(model: LaunchModel): string[] {
  const { files } = model;
  const memoryMiB = (model.memoryBytes + 1024n * 1024n - 1n) / (1024n * 1024n);
  const args = [
    "-name",
    `guest=${model.machineId},debug-threads=on`,
    "-machine",
    `q35,accel=${model.accelerator}`,
    ...(model.accelerator === "kvm" ? ["-cpu", "host"] : []),
    "-smp",
    String(model.cpus),
    "-m",
    `${memoryMiB}M`,
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-S",
    "-pidfile",
    files.pidFile,
    "-qmp",
    `unix:${files.qmpSocket},server=on,wait=off`,
    "-chardev",
    `socket,id=serial0,path=${files.serialSocket},server=on,wait=off,logfile=${files.consoleLog},logappend=on`,
    "-serial",
    "chardev:serial0",
    "-fw_cfg",
    `name=${OWNER_FW_CFG_NAME},string=${model.owner}`,
    "-fw_cfg",
    `name=${NETWORK_FW_CFG_NAME},file=${files.networkMetadataFile}`,
  ];
  if (model.ignition) args.push("-fw_cfg", `name=${IGNITION_FW_CFG_NAME},file=${files.ignitionFile}`);
  if (model.hostname) args.push("-fw_cfg", `name=${HOSTNAME_FW_CFG_NAME},file=${files.hostnameFile}`);
  if (model.firmware.kind === "uefi") args.push("-bios", model.firmware.path);
  if (model.directBoot) {
    args.push("-kernel", model.directBoot.kernel, "-append", model.directBoot.commandLine);
    if (model.directBoot.initramfs) args.push("-initrd", model.directBoot.initramfs);
  }
  for (let index = 0; index < model.rootPorts; index++) {
    // Eight ports per slot (functions 0-7) from slot 0x10 on, so 64 ports fit beside the q35 built-ins.
    const slot = 0x10 + Math.floor(index / 8);
    const fn = index % 8;
    const multifunction = fn === 0 ? ",multifunction=on" : "";
    args.push(
      "-device",
      `pcie-root-port,id=${rootPortId(index)},chassis=${index + 1},port=${index + 1},bus=pcie.0,addr=0x${slot.toString(16)}.${fn}${multifunction}`,
    );
  }
  return args;
}
