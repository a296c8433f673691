import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

export const KEY_BYTES = 32;

/**
 * Reads the key-encryption key at `path`, or creates it (32 random bytes, mode 0600, fsync'd) when the file
 * does not exist. A key file that others may read is tightened to 0600; one of the wrong size is refused.
 * Returns the key and whether it was created now (a new key cannot open a store sealed with an old one).
 */
export function loadOrCreateKey(path: string): { key: Buffer; created: boolean } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let created = false;
  try {
    // "wx": only if absent, so two starts racing cannot both write a key.
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return { key: readKey(path), created };
}

/**
 * Reads the key-encryption key at `path`, which must exist (a previous key is never made up). A key file that
 * others may read is tightened to 0600; one of the wrong size is refused.
 */
export function readKey(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) {
    throw new Error(`key file ${path} holds ${key.length} bytes; a key-encryption key is ${KEY_BYTES} bytes`);
  }
  return key;
}
