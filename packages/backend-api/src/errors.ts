/**
 * A failure that retrying cannot heal (e.g. an image that does not exist, a corrupt source). The reconciler
 * stops retrying, records a Warning event with `reason`, and sets the runtime's ERROR state where it has one.
 * Any other error thrown by a backend is treated as transient and retried with back-off.
 */
export class PermanentBackendError extends Error {
  override readonly name = "PermanentBackendError";
  constructor(
    /** A CamelCase event reason, e.g. "ImagePullFailed". */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Deletion cannot proceed until the user acts (e.g. a non-empty bucket). The object stays, deletion is
 * retried, and the reason is recorded as a Warning event.
 */
export class DeletionBlockedError extends Error {
  override readonly name = "DeletionBlockedError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
