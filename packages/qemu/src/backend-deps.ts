import type { BackendContext } from "@iri/backend-api";
import type { Confinement } from "./confinement/confinement.js";
import type { MachineConsoles } from "./console/machine-consoles.js";
import type { AcceleratorChoice } from "./host/accelerator.js";
import type { QemuProof } from "./host/qemu-ownership.js";
import type { ImageSource } from "./images/image-source.js";
import type { Firmware } from "./model/command-line.js";
import type { NicPlugin } from "./nics/nic-plugin.js";
import type { QmpConnections } from "./qmp/qmp-connections.js";

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

/** What every step of the backend (apply, power, launch, remove, listing) works with, made once at open. */
export interface BackendDeps {
  readonly config: QemuBackendConfig;
  readonly context: BackendContext;
  /** What proves a process is a QEMU of ours: executable, uid, state directory. */
  readonly proof: QemuProof;
  readonly connections: QmpConnections;
  readonly consoles: MachineConsoles;
}
