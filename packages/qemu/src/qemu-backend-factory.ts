import { access } from "node:fs/promises";
import { join } from "node:path";
import type { BackendContext, BackendFactory, SettingValues } from "@iri/backend-api";
import { OciClient } from "@iri/oci";
import { Gauge } from "prom-client";
import { chooseAccelerator } from "./host/accelerator.js";
import { resolveQemuBinary } from "./host/qemu-ownership.js";
import { runCommand } from "./host/run-command.js";
import type { ImageSource } from "./images/image-source.js";
import { OciImageCache } from "./images/oci-image-cache.js";
import { longestSocketPath } from "./machine-files.js";
import type { Firmware } from "./model/command-line.js";
import { BridgeNicPlugin } from "./nics/bridge-nic-plugin.js";
import type { NicPlugin } from "./nics/nic-plugin.js";
import { UserNicPlugin } from "./nics/user-nic-plugin.js";
import { QemuMachineBackend } from "./qemu-machine-backend.js";

export const qemuSettings = {
  binary: {
    flag: "qemu-binary",
    env: "IRI_MACHINE_PROVIDER_QEMU_BINARY",
    kind: "string",
    default: "qemu-system-x86_64",
    description: "The QEMU system emulator to run, one process per machine.",
  },
  accelerator: {
    flag: "qemu-accelerator",
    env: "IRI_MACHINE_PROVIDER_QEMU_ACCELERATOR",
    kind: "string",
    default: "auto",
    description: "auto (KVM when a probe shows it works, else TCG), kvm or tcg.",
  },
  firmware: {
    flag: "qemu-firmware",
    env: "IRI_MACHINE_PROVIDER_QEMU_FIRMWARE",
    kind: "string",
    default: "bios",
    description: "Firmware of machines booting from a disk: bios (SeaBIOS) or uefi (OVMF).",
  },
  uefiFirmware: {
    flag: "qemu-uefi-firmware",
    env: "IRI_MACHINE_PROVIDER_QEMU_UEFI_FIRMWARE",
    kind: "string",
    default: "/usr/share/ovmf/OVMF.fd",
    description: "The OVMF image used with --qemu-firmware uefi.",
  },
  rootPorts: {
    flag: "qemu-pcie-root-ports",
    env: "IRI_MACHINE_PROVIDER_QEMU_PCIE_ROOT_PORTS",
    kind: "integer",
    default: "16",
    min: 1,
    description: "PCIe root ports per machine (at most 64): one per disk and NIC, the rest for hot-plug.",
  },
  shutdownTimeout: {
    flag: "qemu-shutdown-timeout",
    env: "IRI_MACHINE_PROVIDER_QEMU_SHUTDOWN_TIMEOUT",
    kind: "integer",
    default: "60",
    min: 0,
    description: "Seconds a guest has to power off after an ACPI shutdown before it is stopped hard.",
  },
  emptyDiskMiB: {
    flag: "qemu-empty-disk-mib",
    env: "IRI_MACHINE_PROVIDER_QEMU_EMPTY_DISK_MIB",
    kind: "integer",
    default: "1024",
    min: 1,
    description: "Size of a local disk that has neither an image nor size_bytes.",
  },
  nicPlugin: {
    flag: "qemu-nic-plugin",
    env: "IRI_MACHINE_PROVIDER_QEMU_NIC_PLUGIN",
    kind: "string",
    default: "user",
    description:
      "How NICs reach a network: user (QEMU user-mode NAT) or bridge (a Linux bridge per network_id)",
  },
  netns: {
    flag: "qemu-netns",
    env: "IRI_MACHINE_PROVIDER_QEMU_NETNS",
    kind: "string",
    default: "",
    description:
      "A network namespace to run QEMU and create bridges and taps in (empty: the provider's own).",
  },
} as const;

export type QemuSettings = SettingValues<typeof qemuSettings>;

export interface QemuFactoryOptions {
  /** Where IronCore images come from, given the backend's context. */
  readonly imageSource: (context: BackendContext) => ImageSource;
}

/** Builds the `qemu` backend factory around an image source. */
export function createQemuBackendFactory(
  options: QemuFactoryOptions,
): BackendFactory<QemuMachineBackend, typeof qemuSettings> {
  return {
    name: "qemu",
    settings: qemuSettings,
    async open(settings, context) {
      if (context.stateDir.includes(",")) {
        throw new Error(
          `state directory ${context.stateDir} contains a comma, which QEMU options cannot carry`,
        );
      }
      if (longestSocketPath(context.stateDir) > 107) {
        throw new Error(
          `state directory ${context.stateDir} is too long for QEMU's unix sockets (at most 107 bytes)`,
        );
      }
      await runCommand([settings.binary, "--version"]).catch((error: Error) => {
        throw new Error(`--qemu-binary ${settings.binary} cannot be run: ${error.message}`);
      });
      if (!["auto", "kvm", "tcg"].includes(settings.accelerator)) {
        throw new Error(
          `--qemu-accelerator must be auto, kvm or tcg, not ${JSON.stringify(settings.accelerator)}`,
        );
      }
      if (settings.rootPorts > 64) throw new Error("--qemu-pcie-root-ports must be at most 64");
      const accelerator = await chooseAccelerator(settings.binary, settings.accelerator, 10_000);
      context.logger.info(
        { accelerator: accelerator.accelerator, reason: accelerator.reason },
        "QEMU accelerator chosen",
      );
      new Gauge({
        name: "iri_qemu_accelerator_info",
        help: "The accelerator machines run with (1 for the one in use)",
        labelNames: ["accelerator"],
        registers: [context.metrics],
      }).set({ accelerator: accelerator.accelerator }, 1);
      return new QemuMachineBackend(
        {
          qemuBinary: settings.binary,
          qemuExecutable: await resolveQemuBinary(settings.binary),
          qemuUid: process.geteuid?.() ?? 0,
          accelerator,
          firmware: await firmwareOf(settings),
          rootPorts: settings.rootPorts,
          shutdownTimeoutMs: settings.shutdownTimeout * 1000,
          emptyDiskBytes: BigInt(settings.emptyDiskMiB) * 1024n * 1024n,
          nicPlugin: nicPluginOf(settings),
          netns: settings.netns,
          imageSource: options.imageSource(context),
          qmpTimeoutMs: 10_000,
          launchTimeoutMs: 30_000,
        },
        context,
      );
    },
  };
}

async function firmwareOf(settings: QemuSettings): Promise<Firmware> {
  if (settings.firmware === "bios") return { kind: "bios" };
  if (settings.firmware !== "uefi") {
    throw new Error(`--qemu-firmware must be bios or uefi, not ${JSON.stringify(settings.firmware)}`);
  }
  await access(settings.uefiFirmware).catch(() => {
    throw new Error(`--qemu-uefi-firmware ${settings.uefiFirmware} does not exist (Debian package ovmf)`);
  });
  return { kind: "uefi", path: settings.uefiFirmware };
}

function nicPluginOf(settings: QemuSettings): NicPlugin {
  if (settings.nicPlugin === "user") return new UserNicPlugin();
  if (settings.nicPlugin === "bridge") return new BridgeNicPlugin(settings.netns);
  throw new Error(`--qemu-nic-plugin must be user or bridge, not ${JSON.stringify(settings.nicPlugin)}`);
}

/** The `qemu` backend as the machine provider runs it: IronCore images from OCI registries, cached by digest. */
export const qemuMachineBackend = createQemuBackendFactory({
  imageSource: (context) => new OciImageCache(new OciClient(), join(context.stateDir, "images")),
});
