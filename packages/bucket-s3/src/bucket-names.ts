import { createHash } from "node:crypto";

/**
 * The S3 bucket name for an object id: the id itself when it is a valid bucket name (generated ids, 63 hex
 * characters, always are), else `iri-` and a hash of the id. Stable across restarts; the name in use is kept
 * in the placement, so this rule may change without moving existing buckets.
 */
export function bucketNameFor(id: string): string {
  return isValidBucketName(id) ? id : `iri-${createHash("sha256").update(id).digest("hex").slice(0, 59)}`;
}

// S3's rules for new buckets, restricted to what our ids can contain (no dots, so never an IP address).
function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name) &&
    !name.startsWith("xn--") &&
    !name.startsWith("sthree-") &&
    !name.endsWith("-s3alias") &&
    !name.endsWith("--ol-s3")
  );
}

/** Owner instance ids end up in user names and tags, so they are kept to a conservative alphabet. */
export function checkInstanceId(instanceId: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(instanceId)) {
    throw new Error(`owner instance id ${JSON.stringify(instanceId)} must be 1–64 of [A-Za-z0-9_-]`);
  }
}
