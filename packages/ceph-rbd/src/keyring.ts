import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
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

/** Writes a one-entry keyring readable only by the provider (mode 0600) and returns its path. */
export async function writeKeyring(
  dir: string,
  fileName: string,
  entity: string,
  key: string,
): Promise<string> {
  const path = join(dir, fileName);
  await writeFile(path, `[${entity}]\n\tkey = ${key}\n`, { mode: 0o600 });
  return path;
}

/**
 * Writes `secret` to a fresh 0600 file in `dir`, runs `use` with its path and removes the file afterwards,
 * whatever `use` does: for tools that take a passphrase only as a file.
 */
export async function withSecretFile<T>(
  dir: string,
  secret: Uint8Array,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const path = join(dir, `.secret-${randomBytes(8).toString("hex")}`);
  await writeFile(path, secret, { mode: 0o600, flag: "wx" });
  try {
    return await use(path);
  } finally {
    await rm(path, { force: true });
  }
}
