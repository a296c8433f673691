import type { BackendContext, BackendFactory, SettingValues } from "@iri/backend-api";
import type { ImageSource } from "./images/image-source.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";

export const qemuSettings = {
  binary: {
    flag: "qemu-binary",
    env: "QEMU_BINARY",
    kind: "string",
    default: "qemu-system-x86_64",
    description: "The QEMU system emulator to run, one process per machine.",
  },
  accelerator: {
    flag: "qemu-accelerator",
    env: "QEMU_ACCELERATOR",
    kind: "string",
    default: "auto",
    description: "auto (KVM when a probe shows it works, else TCG), kvm or tcg.",
  },
  firmware: {
    flag: "qemu-firmware",
    env: "QEMU_FIRMWARE",
    kind: "string",
    default: "bios",
    description: "Firmware of machines booting from a disk: bios (SeaBIOS) or uefi (OVMF).",
  },
  uefiFirmware: {
    flag: "qemu-uefi-firmware",
    env: "QEMU_UEFI_FIRMWARE",
    kind: "string",
    default: "/usr/share/ovmf/OVMF.fd",
    description: "The OVMF image used with --qemu-firmware uefi.",
  },
  rootPorts: {
    flag: "qemu-pcie-root-ports",
    env: "QEMU_PCIE_ROOT_PORTS",
    kind: "integer",
    default: "16",
    min: 1,
    description: "PCIe root ports per machine (at most 64): one per disk and NIC, the rest for hot-plug.",
  },
  shutdownTimeout: {
    flag: "qemu-shutdown-timeout",
    env: "QEMU_SHUTDOWN_TIMEOUT",
    kind: "integer",
    default: "60",
    min: 0,
    description:
      "Seconds a guest has to power off after an ACPI shutdown (power-off, DeleteMachine, eviction) before it is stopped hard; the time taken is in an event.",
  },
  emptyDiskMiB: {
    flag: "qemu-empty-disk-mib",
    env: "QEMU_EMPTY_DISK_MIB",
    kind: "integer",
    default: "1024",
    min: 1,
    description: "Size of a local disk that has neither an image nor size_bytes.",
  },
  nicPlugin: {
    flag: "qemu-nic-plugin",
    env: "QEMU_NIC_PLUGIN",
    kind: "string",
    default: "user",
    description:
      "How NICs reach a network: user (QEMU user-mode networking with restrict=on: no path to the host or beyond; laptops and tests) or bridge (a Linux bridge per network_id; the production choice)",
  },
  netns: {
    flag: "qemu-netns",
    env: "QEMU_NETNS",
    kind: "string",
    default: "",
    description:
      "A network namespace to run QEMU and create bridges and taps in (empty: the provider's own).",
  },
  imageCacheMiB: {
    flag: "qemu-image-cache-mib",
    env: "QEMU_IMAGE_CACHE_MIB",
    kind: "integer",
    default: "20480",
    min: 1,
    description:
      "Disk space of the image cache: beyond it, images no machine uses are removed, least recently used first (those used in the last 10 minutes are kept).",
  },
  unplugTimeout: {
    flag: "qemu-unplug-timeout",
    env: "QEMU_UNPLUG_TIMEOUT",
    kind: "integer",
    default: "120",
    min: 1,
    description:
      "Seconds a guest has to release a detached volume or NIC; then a GuestIgnoresUnplug Warning, and the detach completes at the next power-off.",
  },
  consoleLogMiB: {
    flag: "qemu-console-log-mib",
    env: "QEMU_CONSOLE_LOG_MIB",
    kind: "integer",
    default: "8",
    min: 1,
    description:
      "Disk space one machine's console log may take: a ring of two halves (console.log, console.log.1), oldest output dropped.",
  },
  user: {
    flag: "qemu-user",
    env: "QEMU_USER",
    kind: "string",
    default: "iri-qemu",
    description:
      "The unprivileged user every QEMU runs as (never root; scripts/install-deps.sh creates iri-qemu).",
  },
  cgroup: {
    flag: "qemu-cgroup",
    env: "QEMU_CGROUP",
    kind: "string",
    default: "auto",
    description:
      "How each QEMU gets a cgroup of its own with its class's limits: auto (systemd where it runs, else cgroup v2, else v1), systemd, cgroup2 or cgroup1.",
  },
  cgroupParent: {
    flag: "qemu-cgroup-parent",
    env: "QEMU_CGROUP_PARENT",
    kind: "string",
    default: "iri-machines",
    description: "The cgroup (systemd: slice, without .slice) the machines' cgroups are created under.",
  },
  memoryOverheadMiB: {
    flag: "qemu-memory-overhead-mib",
    env: "QEMU_MEMORY_OVERHEAD_MIB",
    kind: "integer",
    default: "256",
    min: 0,
    description:
      "Memory QEMU may use beyond its class's memory; its cgroup's limit is the sum plus 1 GiB for unlocking a LUKS2 volume (argon2id).",
  },
  pidsMax: {
    flag: "qemu-pids-max",
    env: "QEMU_PIDS_MAX",
    kind: "integer",
    default: "512",
    min: 16,
    description: "Tasks (threads) one QEMU may have (its cgroup's pids limit).",
  },
  allowUnconfined: {
    flag: "allow-unconfined",
    env: "ALLOW_UNCONFINED",
    kind: "boolean",
    default: "false",
    description:
      "Start even when the host lacks a confinement mechanism (user, seccomp sandbox, cgroup); the missing one is logged and iri_qemu_confinement shows 0.",
  },
} as const;

export type QemuSettings = SettingValues<typeof qemuSettings>;

export interface QemuFactoryOptions {
  /** Where IronCore images come from, given the backend's context. */
  readonly imageSource: (context: BackendContext, settings: QemuSettings) => ImageSource;
}

/**
 * Builds the `qemu` backend factory around an image source. The backend's code is imported when it opens,
 * after the provider serves: a restart does not wait to load it.
 */
export function createQemuBackendFactory(
  options: QemuFactoryOptions,
): BackendFactory<QemuMachineBackend, typeof qemuSettings> {
  return {
    name: "qemu",
    settings: qemuSettings,
    open: async (settings, context) =>
      (await import("./open-qemu-backend.js")).openQemuBackend(options, settings, context),
  };
}

/** The `qemu` backend as the machine provider runs it: IronCore images from OCI registries, cached by digest. */
export const qemuMachineBackend: BackendFactory<QemuMachineBackend, typeof qemuSettings> = {
  name: "qemu",
  settings: qemuSettings,
  open: async (settings, context) => {
    const { openQemuBackend, ociImageSource } = await import("./open-qemu-backend.js");
    return openQemuBackend({ imageSource: ociImageSource }, settings, context);
  },
};
