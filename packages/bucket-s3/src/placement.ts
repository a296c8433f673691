import type { Placement, RemoveOutcome } from "@iri/backend-api";
import type { ClassPolicy } from "./class-policy.js";

/** How often a delete that waits for a bucket to be emptied looks again. */
const BUCKET_NOT_EMPTY_RETRY_MS = 30_000;

/**
 * A delete waiting for its tenant to empty the bucket (blocked: a Warning event `BucketNotEmpty`); the
 * credentials keep working meanwhile.
 */
export function bucketNotEmpty(bucketName: string): RemoveOutcome {
  return {
    afterMs: BUCKET_NOT_EMPTY_RETRY_MS,
    reason: "BucketNotEmpty",
    message: `bucket ${bucketName} still holds objects and its class does not purge on delete; its credentials keep working until it is empty, then the delete finishes`,
    blocked: true,
  };
}

/**
 * Where a bucket lives: its name, the store identity that owns it (RGW user id, MinIO access key) and the
 * class's delete policy as it was at creation (a delete gets no class, only the placement).
 */
export interface BucketPlacement {
  readonly bucketName: string;
  readonly identity: string;
  readonly purgeOnDelete: boolean;
}

/** `policy` undefined: an object found without its record (orphan pass): never purge its contents. */
export function placementWith(
  bucketName: string,
  identity: string,
  policy: ClassPolicy | undefined,
): Placement {
  return { bucket: bucketName, identity, purgeOnDelete: String(policy?.purgeOnDelete ?? false) };
}

export function placementOf(placement: Placement): BucketPlacement {
  const bucketName = placement.bucket;
  const identity = placement.identity;
  if (!bucketName || !identity)
    throw new Error(`bucket placement without bucket or identity: ${JSON.stringify(placement)}`);
  return { bucketName, identity, purgeOnDelete: placement.purgeOnDelete === "true" };
}
