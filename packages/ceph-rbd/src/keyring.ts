import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** A cephx key is base64 of a 28-byte secret (40 characters); anything else is a configuration mistake. */
const CEPHX_KEY = /^[A-Za-z0-9+/]{38,}={0,2}$/;

/**
 * The key from a setting's content: either the bare key or a keyring file (`key = …` under a section).
 * Throws with a message that never quotes the content.
 */
export function parseCephKey(content: string, what: string): string {
  const trimmed = content.trim();
  const fromKeyring = /^\s*key\s*=\s*(\S+)\s*$/m.exec(trimmed)?.[1];
  const key = fromKeyring ?? trimmed;
  if (!CEPHX_KEY.test(key)) {
    throw new Error(`${what}: expected a cephx key or a keyring file with a "key = …" line`);
  }
  return key;
}

/**
 * Removes what a kill -9 or an earlier version left in the backend's state dir: `admin.keyring` and the
 * `.secret-*` files (secret files of earlier versions, FIFOs of `withSecretPipes` now).
 */
export async function removeSecretLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name === "admin.keyring" || /^\.secret-[0-9a-f]+$/.test(name))
      await rm(join(dir, name), { force: true });
  }
}
