import { spawn } from "node:child_process";
import type { ParentRef } from "./cli/rbd.js";
import { withSecretPipes } from "./secret-pipes.js";

export interface CopyTarget {
  readonly pool: string;
  readonly image: string;
  readonly passphrase: Uint8Array;
}

export interface CopyConnection {
  readonly monitors: string;
  readonly id: string;
  readonly key: string;
  /** Where the secrets' FIFOs live while qemu-img runs. */
  readonly secretDir: string;
}

/**
 * Copies an unencrypted snapshot (a cached IronCore image, a plaintext volume's snapshot) into a LUKS2-formatted
 * image through librbd's encryption, with `qemu-img convert` (qemu's rbd driver): an RBD clone cannot be
 * encrypted over a plaintext parent in Ceph 16, and the rbd CLI cannot write through encryption. Zeros are
 * written too: an unwritten range inside an existing RADOS object reads back as decrypted garbage, not zeros.
 * The cephx key and the passphrase reach qemu-img through FIFOs: never on disk, never in argv. qemu-img dies
 * with the provider, so a restarted provider never races an orphaned copy.
 */
export async function copyIntoEncrypted(
  connection: CopyConnection,
  source: ParentRef,
  target: CopyTarget,
  signal: AbortSignal,
): Promise<void> {
  const secrets = [new TextEncoder().encode(connection.key), target.passphrase];
  await withSecretPipes(connection.secretDir, secrets, async ([keyFile, passFile]) => {
    const common = rbdOptions(connection);
    const from = `driver=raw,file.driver=rbd,file.pool=${opt(source.pool)},file.image=${opt(source.image)},file.snapshot=${opt(source.snapshot)},${common}`;
    const to = `driver=raw,file.driver=rbd,file.pool=${opt(target.pool)},file.image=${opt(target.image)},${common},file.encrypt.format=luks2,file.encrypt.key-secret=pass`;
    await run(
      [
        "convert",
        "-n",
        "--object",
        `secret,id=cephx,file=${opt(keyFile as string)},format=base64`,
        "--object",
        `secret,id=pass,file=${opt(passFile as string)}`,
        "--image-opts",
        "--target-image-opts",
        from,
        to,
      ],
      signal,
    );
  });
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
    const child = spawn("setpriv", ["--pdeathsig", "KILL", "qemu-img", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      signal,
    });
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
