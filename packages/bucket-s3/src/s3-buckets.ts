import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { StoreCalls } from "./store-calls.js";
import { s3ErrorCode } from "./store-errors.js";

// Like the admin clients: an abort stops us before a request, never one the store may be carrying out.
function checked<T>(signal: AbortSignal, send: () => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  return send();
}

/** What CreateBucket found. */
export type CreateResult = "created" | "existed" | "taken";

/** CreateBucket as the given client's identity: "existed" when it already owns it, "taken" when someone else does. */
export async function createBucket(
  calls: StoreCalls,
  s3: S3Client,
  bucket: string,
  signal: AbortSignal,
): Promise<CreateResult> {
  try {
    await calls.run("create bucket", () =>
      checked(signal, () => s3.send(new CreateBucketCommand({ Bucket: bucket }))),
    );
    return "created";
  } catch (error) {
    const code = s3ErrorCode(error);
    if (code === "BucketAlreadyOwnedByYou") return "existed";
    if (code === "BucketAlreadyExists") return "taken";
    throw error;
  }
}

export async function bucketExists(
  calls: StoreCalls,
  s3: S3Client,
  bucket: string,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await calls.run("head bucket", () =>
      checked(signal, () => s3.send(new HeadBucketCommand({ Bucket: bucket }))),
    );
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || s3ErrorCode(error) === "NotFound") return false;
    throw error;
  }
}

/** Whether the bucket holds no object (one ListObjectsV2 of at most one key). */
export async function bucketIsEmpty(
  calls: StoreCalls,
  s3: S3Client,
  bucket: string,
  signal: AbortSignal,
): Promise<boolean> {
  const out = await calls.run("list objects", () =>
    checked(signal, () => s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }))),
  );
  return (out.KeyCount ?? out.Contents?.length ?? 0) === 0;
}

/** What DeleteBucket found. */
export type DeleteResult = "deleted" | "absent" | "not-empty";

/** DeleteBucket; `force` adds MinIO's header that removes the contents with it. */
export async function deleteBucket(
  calls: StoreCalls,
  s3: S3Client,
  bucket: string,
  options: { force: boolean },
  signal: AbortSignal,
): Promise<DeleteResult> {
  const command = new DeleteBucketCommand({ Bucket: bucket });
  if (options.force) {
    command.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers["x-minio-force-delete"] = "true";
        return next(args);
      },
      { step: "build", name: "minioForceDelete" },
    );
  }
  try {
    await calls.run("delete bucket", () => checked(signal, () => s3.send(command)));
    return "deleted";
  } catch (error) {
    const code = s3ErrorCode(error);
    if (code === "NoSuchBucket") return "absent";
    if (code === "BucketNotEmpty") return "not-empty";
    throw error;
  }
}
