// What the qemu backend runs when it opens: imported by qemu-backend-factory.ts only then, after the provider
// serves, so that a start does not load the confinement, the NIC plugins and the OCI client before it answers.
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import type { BackendContext } from "@iri/backend-api";
import { OciClient } from "@iri/oci";
import { Gauge } from "prom-client";
import { Confinement, type QemuUser } from "./confinement/confinement.js";
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
import type { QemuFactoryOptions, QemuSettings } from "./qemu-backend-factory.js";
import { QemuMachineBackend } from "./qemu-machine-backend.js";

/** Opens the `qemu` backend with `options`' image source. */
export async function openQemuBackend(
  options: QemuFactoryOptions,
  settings: QemuSettings,
  context: BackendContext,
): Promise<QemuMachineBackend> {
  if (context.stateDir.includes(",")) {
    throw new Error(`state directory ${context.stateDir} contains a comma, which QEMU options cannot carry`);
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
  const confinement = await Confinement.open(
    {
      qemuBinary: settings.binary,
      user: settings.user,
      cgroup: settings.cgroup,
      cgroupParent: settings.cgroupParent,
      allowUnconfined: settings.allowUnconfined,
    },
    context.logger,
    context.metrics,
  );
  await confinement.openPathTo(context.stateDir);
  const imageSource = options.imageSource(context, settings);
  await imageSource.open?.();
  return new QemuMachineBackend(
    {
      qemuBinary: settings.binary,
      qemuExecutable: await resolveQemuBinary(settings.binary),
      // QEMU runs as the confinement user (root only when --allow-unconfined found none).
      qemuUid: confinement.user?.uid ?? process.geteuid?.() ?? 0,
      accelerator,
      firmware: await firmwareOf(settings),
      rootPorts: settings.rootPorts,
      shutdownTimeoutMs: settings.shutdownTimeout * 1000,
      emptyDiskBytes: BigInt(settings.emptyDiskMiB) * 1024n * 1024n,
      nicPlugin: await nicPluginOf(settings, confinement.user),
      netns: settings.netns,
      imageSource,
      qmpTimeoutMs: 10_000,
      launchTimeoutMs: 30_000,
      confinement,
      memoryOverheadBytes: BigInt(settings.memoryOverheadMiB) * 1024n * 1024n,
      pidsMax: settings.pidsMax,
      consoleLogBytes: settings.consoleLogMiB * 1024 * 1024,
      unplugTimeoutMs: settings.unplugTimeout * 1000,
    },
    context,
  );
}

/** IronCore images from OCI registries, cached by digest in the backend's state directory. */
export function ociImageSource(context: BackendContext, settings: QemuSettings): ImageSource {
  return new OciImageCache(
    new OciClient(),
    join(context.stateDir, "images"),
    settings.imageCacheMiB * 1024 * 1024,
  );
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

async function nicPluginOf(settings: QemuSettings, qemuUser: QemuUser | undefined): Promise<NicPlugin> {
  if (settings.nicPlugin === "user") return new UserNicPlugin();
  if (settings.nicPlugin === "bridge") {
    const tun = await stat("/dev/net/tun").catch(() => undefined);
    if (qemuUser && tun && (tun.mode & 0o006) !== 0o006) {
      throw new Error(
        `QEMU's user ${qemuUser.name} cannot open /dev/net/tun (mode ${(tun.mode & 0o777).toString(8)}): give it 0666 as udev does (a tap opens only for the user it was made for)`,
      );
    }
    return new BridgeNicPlugin(settings.netns, qemuUser);
  }
  throw new Error(`--qemu-nic-plugin must be user or bridge, not ${JSON.stringify(settings.nicPlugin)}`);
}
