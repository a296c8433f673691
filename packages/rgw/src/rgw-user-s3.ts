import { SignedClient, type SignedClientOptions } from "@iri/sigv4-fetch";

/** What CreateBucket found: made now, already the caller's, or someone else's. */
export type BucketCreation = "created" | "existed" | "taken";

/** The gateway answered an S3 request with an error (its S3 `Code`, e.g. "InvalidBucketName"). */
export class RgwS3Error extends Error {
  override readonly name = "RgwS3Error";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * CreateBucket on the gateway's S3 API as the user whose key `options` carries (a bucket's own user, so that
 * it owns the bucket). One signed request on the process's shared keep-alive connections: an AWS SDK client
 * per user would cost more CPU to set up (its configuration, its middleware) than the call itself, and would
 * open connections of its own.
 */
export async function createBucketAs(
  options: SignedClientOptions,
  bucket: string,
  signal?: AbortSignal,
): Promise<BucketCreation> {
  const response = await new SignedClient(options).send({
    method: "PUT",
    path: `/${encodeURIComponent(bucket)}`,
    signal,
  });
  if (response.status < 300) return "created";
  const code = errorCode(new TextDecoder().decode(response.body)) ?? `HTTP${response.status}`;
  if (code === "BucketAlreadyOwnedByYou") return "existed";
  if (code === "BucketAlreadyExists") return "taken";
  throw new RgwS3Error(response.status, code, `RGW S3 CreateBucket ${bucket}: ${code}`);
}

// S3 errors are XML: <Error><Code>…</Code>…</Error>.
function errorCode(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}
