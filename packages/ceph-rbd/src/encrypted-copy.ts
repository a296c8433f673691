import { spawn } from "node:child_process";
import type { ParentRef } from "./cli/rbd.js";
import { withSecretFile } from "./keyring.js";

export interface CopyTarget {
  readonly pool: string;
  readonly image: string;
  readonly passphrase: Uint8Array;
}

export interface CopyConnection {
  readonly monitors: string;
  readonly id: string;
  readonly key: string;
  /** Where the 0600 secret files live while qemu-img runs. */
  readonly secretDir: string;
}

/**
 * Copies an unencrypted snapshot (a cached IronCore image, a plaintext volume's snapshot) into a LUKS2-formatted
 * image through librbd's encryption, with `qemu-img convert` (qemu's rbd driver): an RBD clone cannot be
 * encrypted over a plaintext parent in Ceph 16, and the rbd CLI cannot write through encryption. Zeros are
 * written too: an unwritten range inside an existing RADOS object reads back as decrypted garbage, not zeros.
 * The cephx key and the passphrase reach qemu-img as 0600 files, never in argv.
 */
export async function copyIntoEncrypted(
  connection: CopyConnection,
  source: ParentRef,
  target: CopyTarget,
  signal: AbortSignal,
): Promise<void> {
  await withSecretFile(connection.secretDir, new TextEncoder().encode(connection.key), (keyFile) =>
    withSecretFile(connection.secretDir, target.passphrase, async (passFile) => {
      const common = rbdOptions(connection);
      const from = `driver=raw,file.driver=rbd,file.pool=${opt(source.pool)},file.image=${opt(source.image)},file.snapshot=${opt(source.snapshot)},${common}`;
      const to = `driver=raw,file.driver=rbd,file.pool=${opt(target.pool)},file.image=${opt(target.image)},${common},file.encrypt.format=luks2,file.encrypt.key-secret=pass`;
      await run(
        [
          "convert",
          "-n",
          "--object",
          `secret,id=cephx,file=${opt(keyFile)},format=base64`,
          "--object",
          `secret,id=pass,file=${opt(passFile)}`,
          "--image-opts",
          "--target-image-opts",
          from,
          to,
        ],
        signal,
      );
    }),
  );
}

function rbdOptions(connection: CopyConnection): string {
  const servers = connection.monitors.split(",").map((entry, i) => {
    const at = entry.lastIndexOf(":");
    const host = entry.slice(0, at).replace(/^\[(.*)\]$/, "$1");
    return `file.server.${i}.host=${opt(host)},file.server.${i}.port=${entry.slice(at + 1)}`;
  });
  return [`file.user=${opt(connection.id)}`, "file.key-secret=cephx", "file.conf=/dev/null", ...servers].join(
    ",",
  );
}

/** qemu's option syntax: a comma inside a value is written twice. */
function opt(value: string): string {
  return value.replaceAll(",", ",,");
}

function run(args: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("qemu-img", args, { stdio: ["ignore", "ignore", "pipe"], signal });
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.on("error", (error) => reject(signal.aborted ? signal.reason : error));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`qemu-img convert into the encrypted volume failed: ${stderr.trim() || `exit ${code}`}`),
        );
    });
  });
}
