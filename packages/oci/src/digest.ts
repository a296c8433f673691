import { createHash, type Hash } from "node:crypto";

/** The content-digest algorithms of the OCI image spec, with the hex length of their encoded form. */
const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof HEX_LENGTH;

/** True for `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`. */
export function isDigest(value: string): boolean {
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  if (!(algorithm in HEX_LENGTH)) return false;
  const hex = value.slice(colon + 1);
  return hex.length === HEX_LENGTH[algorithm as DigestAlgorithm] && /^[0-9a-f]+$/.test(hex);
}

/** The algorithm of a digest already checked with `isDigest`. */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(":")) as DigestAlgorithm;
}

/** A hash that yields a digest string in the same algorithm as `like` (sha256 when not given). */
export function digester(like?: string): { hash: Hash; digest(): string } {
  const algorithm = like === undefined ? "sha256" : digestAlgorithm(like);
  const hash = createHash(algorithm);
  return { hash, digest: () => `${algorithm}:${hash.digest("hex")}` };
}

export function digestOf(bytes: Uint8Array, like?: string): string {
  const d = digester(like);
  d.hash.update(bytes);
  return d.digest();
}
