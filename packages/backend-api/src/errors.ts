/**
 * A failure that retrying cannot heal (e.g. an image that does not exist, a corrupt source). The provider
 * stops retrying the object at this generation, records a Warning event with `reason` once, and sets the
 * runtime's ERROR state where it has one. A spec change, or a long interval, retries it.
 * Any other error thrown by a backend is treated as transient and retried with back-off.
 */
export class PermanentBackendError extends Error {
  override readonly name = "PermanentBackendError";
  constructor(
    /** A CamelCase event reason, e.g. "ImagePullFailed". */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The backend's infrastructure cannot be reached (a Ceph monitor, the object store). Reconciles retry with
 * back-off and record a Warning event; on a handler path (e.g. Status capacity) the client gets Unavailable.
 */
export class BackendUnavailableError extends Error {
  override readonly name = "BackendUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
