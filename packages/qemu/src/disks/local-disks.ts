import { rename, rm, stat } from "node:fs/promises";
import { PermanentBackendError } from "@iri/backend-api";
import { runCommand } from "../host/run-command.js";

export interface LocalDiskRequest {
  readonly file: string;
  /** The volume's name and image, for messages. */
  readonly volume: string;
  readonly image?: string;
  /** 0: the base's size, or `emptyBytes` without a base. */
  readonly sizeBytes: bigint;
  /** A raw image file (the cached rootfs of an IronCore image) the disk is a copy-on-write overlay of. */
  readonly base?: string;
  readonly emptyBytes: bigint;
}

/** Rounds up to whole 512-byte sectors, which qcow2 and block_resize require. */
export function toSectors(bytes: bigint): bigint {
  return ((bytes + 511n) / 512n) * 512n;
}

/**
 * Creates the disk once: a qcow2 overlay on the base, grown to the requested size (the base's size when none
 * was asked for; a size below the base's is refused), or a sparse empty qcow2.
 * Created under a temporary name and renamed, so a crash never leaves a half-made disk that looks done.
 */
export async function ensureLocalDisk(request: LocalDiskRequest): Promise<void> {
  if (await exists(request.file)) return;
  const temp = `${request.file}.creating`;
  await rm(temp, { force: true });
  let size = request.sizeBytes > 0n ? request.sizeBytes : request.emptyBytes;
  const args = ["qemu-img", "create", "-q", "-f", "qcow2"];
  if (request.base) {
    const baseBytes = BigInt((await stat(request.base)).size);
    // A disk silently grown beyond what was asked for would break the caller's accounting.
    if (request.sizeBytes > 0n && request.sizeBytes < baseBytes) {
      throw new PermanentBackendError(
        "LocalDiskTooSmall",
        `local disk ${request.volume}: size_bytes ${request.sizeBytes} is smaller than its image ${request.image ?? ""} (${baseBytes} bytes)`,
      );
    }
    if (request.sizeBytes < baseBytes) size = baseBytes;
    args.push("-F", "raw", "-b", request.base);
  }
  await runCommand([...args, temp, toSectors(size).toString()]);
  await rename(temp, request.file);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
