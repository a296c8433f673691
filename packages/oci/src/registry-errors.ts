// Maps HTTP statuses and transport failures of a registry request to the package's typed errors.
import type { Response } from "undici";
import {
  ImageNotFoundError,
  InvalidImageError,
  RegistryUnavailableError,
  UnauthorizedError,
} from "./errors.js";

/** The `errors[].code` list of a distribution-spec error body, e.g. `MANIFEST_UNKNOWN`, if there is one. */
async function errorCodes(response: Response): Promise<string> {
  try {
    const text = await response.text();
    const codes = (JSON.parse(text.slice(0, 65536)) as { errors?: { code?: unknown }[] }).errors
      ?.map((e) => e.code)
      .filter((code) => typeof code === "string");
    return codes !== undefined && codes.length > 0 ? ` ${codes.join(",")}` : "";
  } catch {
    return "";
  }
}

/** The error for a non-2xx answer about `what` (e.g. "manifest 127.0.0.1:5000/os:1.0"). */
export async function statusError(response: Response, what: string): Promise<Error> {
  const status = `HTTP ${response.status}${await errorCodes(response)}`;
  if (response.status === 404) return new ImageNotFoundError(`${what} not found (${status})`);
  if (response.status === 401 || response.status === 403) {
    return new UnauthorizedError(`${what}: access denied (${status})`);
  }
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    return new RegistryUnavailableError(`${what}: registry answered ${status}`);
  }
  return new InvalidImageError(`${what}: registry rejected the request (${status})`);
}

/**
 * The error for a request that got no complete answer: the caller's abort passes through unchanged (it is
 * no registry failure); everything else (refused, reset, TLS, timeout) is transient.
 */
export function transportError(error: unknown, what: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof RegistryUnavailableError) return error;
  return new RegistryUnavailableError(`${what}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error && parts.length < 4; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === "string" ? `${e.message} (${code})` : e.message);
  }
  return parts.length > 0 ? parts.join(": ") : String(error);
}
