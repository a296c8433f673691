import { BackendUnavailableError } from "@iri/backend-api";
import { ServiceUnreachableError } from "@iri/sigv4-fetch";

const UNAVAILABLE_CODES = new Set(["ServiceUnavailable", "SlowDown", "XMinioServerNotInitialized"]);

/**
 * Runs one call on the object store; failures that mean "cannot be reached right now" (no answer, refused
 * connection, timeout, 503) become BackendUnavailableError, everything else is passed on as it is.
 */
export async function onStore<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isUnreachable(error)) {
      throw new BackendUnavailableError(`object store unreachable (${what}): ${reasonOf(error)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

function isUnreachable(error: unknown): boolean {
  if (error instanceof ServiceUnreachableError) return true;
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const status = meta?.httpStatusCode;
  // The admin clients' errors carry the HTTP status as `status`.
  if (status === 503 || (error as { status?: number }).status === 503) return true;
  const code = (error as { code?: string }).code;
  if (
    UNAVAILABLE_CODES.has(error.name) ||
    (code && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|EPIPE)$/.test(code))
  ) {
    return true;
  }
  // The S3 client's own timeouts, and a request that never got an HTTP answer.
  return error.name === "TimeoutError" || (meta !== undefined && status === undefined);
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  return code ? `${error.name} ${code}` : `${error.name}: ${error.message}`;
}

/** The S3 error code of an S3 client error (e.g. "BucketNotEmpty"), if it is one. */
export function s3ErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return (error as { Code?: string }).Code ?? error.name;
}
