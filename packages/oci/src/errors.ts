// Errors a caller branches on by class (or `code`), never by message. The split is what backends rely on:
// NotFound, InvalidImage, InvalidReference and DigestMismatch do not heal by retrying the same pull;
// Unavailable does; Unauthorized heals only when credentials change.

export type OciErrorCode =
  | "InvalidReference"
  | "InvalidConfiguration"
  | "ImageNotFound"
  | "Unauthorized"
  | "RegistryUnavailable"
  | "InvalidImage"
  | "DigestMismatch";

export class OciError extends Error {
  override name = "OciError";
  constructor(
    readonly code: OciErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The image reference string is not `registry[:port]/repository[:tag][@digest]`. */
export class InvalidReferenceError extends OciError {
  override name = "InvalidReferenceError";
  constructor(message: string) {
    super("InvalidReference", message);
  }
}

/** The client's own configuration (CA file, Docker config file) cannot be read or parsed. */
export class InvalidConfigurationError extends OciError {
  override name = "InvalidConfigurationError";
  constructor(message: string, options?: ErrorOptions) {
    super("InvalidConfiguration", message, options);
  }
}

/** The registry answered 404 for the repository, tag, manifest or blob. */
export class ImageNotFoundError extends OciError {
  override name = "ImageNotFoundError";
  constructor(message: string) {
    super("ImageNotFound", message);
  }
}

/** The registry (or its token service) refused the credentials, or there were none and it wants some. */
export class UnauthorizedError extends OciError {
  override name = "UnauthorizedError";
  constructor(message: string) {
    super("Unauthorized", message);
  }
}

/** Transient: connection refused or reset, TLS failure, timeout, 429 or 5xx. Retry with back-off. */
export class RegistryUnavailableError extends OciError {
  override name = "RegistryUnavailableError";
  constructor(message: string, options?: ErrorOptions) {
    super("RegistryUnavailable", message, options);
  }
}

/** Not a usable IronCore image: malformed manifest, unknown media type, no manifest for the platform. */
export class InvalidImageError extends OciError {
  override name = "InvalidImageError";
  constructor(message: string, options?: ErrorOptions) {
    super("InvalidImage", message, options);
  }
}

/** Content read from the registry does not match the digest or size that names it. */
export class DigestMismatchError extends OciError {
  override name = "DigestMismatchError";
  constructor(
    readonly expected: { digest: string; size?: number },
    readonly actual: { digest?: string; size: number },
    what: string,
  ) {
    super(
      "DigestMismatch",
      expected.size !== undefined && actual.size !== expected.size
        ? `${what}: got ${actual.size} bytes, expected ${expected.size} (${expected.digest})`
        : `${what}: content has digest ${actual.digest} (${actual.size} bytes), expected ${expected.digest}`,
    );
  }
}
