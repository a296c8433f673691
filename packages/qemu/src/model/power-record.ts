import { readJsonFile, writeJsonFile } from "../machine-files.js";

/**
 * What the backend last did about a machine's power, kept in its directory so that a provider restart
 * neither forgets a shutdown deadline nor takes a guest that powered itself off for one never started, nor
 * forgets how often the guest has done so (the crash-loop back-off).
 */
export interface PowerRecord {
  /** The backend started QEMU and has not stopped it since. */
  readonly started: boolean;
  /** When QEMU was last started (ms since the epoch). */
  readonly startedAt?: number;
  /** When an ACPI shutdown was requested (ms since the epoch); the hard stop follows at the deadline. */
  readonly powerdownAt?: number;
  /** When the backend found that the guest had powered itself off while the spec says on. */
  readonly exitedAt?: number;
  /** Self power-offs in a row, each soon after its start (see crash-loop.ts). */
  readonly quickExits?: number;
}

export function readPowerRecord(path: string): Promise<PowerRecord> {
  return readJsonFile<PowerRecord>(path, { started: false });
}

export function writePowerRecord(path: string, record: PowerRecord): Promise<void> {
  return writeJsonFile(path, record);
}
