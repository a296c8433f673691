/** QEMU answered a command with an error (e.g. class "DeviceNotFound"). */
export class QmpCommandError extends Error {
  override readonly name = "QmpCommandError";
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly description: string,
  ) {
    super(`QMP ${command} failed (${errorClass}): ${description}`);
  }
}

/** A command (or the greeting) got no answer in time. */
export class QmpTimeoutError extends Error {
  override readonly name = "QmpTimeoutError";
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`QMP ${command} got no answer within ${timeoutMs} ms`);
  }
}

/** The QMP socket is gone (QEMU exited) or could not be opened. */
export class QmpClosedError extends Error {
  override readonly name = "QmpClosedError";
}
