import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The tiny test guest (see scripts/build-test-guest.sh): what it prints once its shell is up. */
export const GUEST_READY_MARKER = "IRI-TEST-GUEST-READY";
/** The kernel command line of the test guest's image config. */
export const GUEST_COMMAND_LINE = "console=ttyS0 quiet panic=-1";

export interface TestGuest {
  readonly kernel: string;
  readonly initramfs: string;
  readonly rootfs: string;
}

/** Builds the test guest once per directory (cached across runs in IRI_GUEST_DIR or /var/tmp). */
export function buildTestGuest(): TestGuest {
  const dir = process.env.IRI_GUEST_DIR ?? "/var/tmp/iri-test-guest";
  const script = fileURLToPath(new URL("../../scripts/build-test-guest.sh", import.meta.url));
  execFileSync("bash", [script, dir], { stdio: ["ignore", "inherit", "inherit"] });
  return { kernel: join(dir, "vmlinuz"), initramfs: join(dir, "initramfs"), rootfs: join(dir, "rootfs.raw") };
}
