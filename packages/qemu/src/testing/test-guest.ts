import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pushImage } from "@iri/oci/testing";

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

/**
 * Pushes the test guest to the loopback registry as an IronCore image (current media types: rootfs, kernel,
 * initramfs, config with commandLine) under a tag of its own; resolves the reference.
 */
export async function pushTestGuest(
  guest: TestGuest,
  repository = "iri-tests/qemu-test-guest",
  registry = process.env.REGISTRY_ADDR,
): Promise<string> {
  if (!registry) throw new Error("REGISTRY_ADDR must be set (source <(bash scripts/services.sh env))");
  const pushed = await pushImage(
    registry,
    repository,
    `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    {
      config: { commandLine: GUEST_COMMAND_LINE },
      layers: [
        { mediaType: "application/vnd.ironcore.image.rootfs", data: await readFile(guest.rootfs) },
        { mediaType: "application/vnd.ironcore.image.kernel", data: await readFile(guest.kernel) },
        { mediaType: "application/vnd.ironcore.image.initramfs", data: await readFile(guest.initramfs) },
      ],
    },
  );
  return pushed.reference;
}
