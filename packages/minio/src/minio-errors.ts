/** MinIO answered an admin request with an error (its `Code`, e.g. "XMinioAdminNoSuchUser"). */
export class MinioAdminError extends Error {
  override readonly name = "MinioAdminError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
