/** The RADOS Gateway answered an admin request with an error (its S3-style `Code`, e.g. "NoSuchUser"). */
export class RgwAdminError extends Error {
  override readonly name = "RgwAdminError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
