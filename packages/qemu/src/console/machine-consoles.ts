import type { Duplex } from "node:stream";
import type { MachineFiles } from "../machine-files.js";
import { ConsoleHub } from "./console-hub.js";
import { ConsoleLogCap } from "./console-log-cap.js";

/** Every machine's serial console: the hub its sessions share and the cap on its log file. */
export class MachineConsoles {
  private readonly hubs = new Map<string, ConsoleHub>();
  private readonly logCap: ConsoleLogCap;

  constructor(consoleLogBytes: number) {
    this.logCap = new ConsoleLogCap(consoleLogBytes);
  }

  /** A running machine's console log is kept under the cap (idempotent). */
  watchLog(files: MachineFiles): void {
    this.logCap.watch(files.consoleLog);
  }

  /** A session on the console of a machine whose QEMU runs; QEMU's single chardev connection is shared. */
  open(id: string, files: MachineFiles, signal: AbortSignal): Promise<Duplex> {
    let hub = this.hubs.get(id);
    if (!hub) {
      hub = new ConsoleHub(files.serialSocket);
      this.hubs.set(id, hub);
    }
    return hub.open(signal);
  }

  /** The machine is being removed: its log is no longer watched and its sessions end. */
  forget(id: string, files: MachineFiles): void {
    this.logCap.unwatch(files.consoleLog);
    this.hubs.get(id)?.close();
    this.hubs.delete(id);
  }

  close(): void {
    this.logCap.close();
    for (const hub of this.hubs.values()) hub.close();
    this.hubs.clear();
  }
}
