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

// What QEMU's error answers mean to the backend. Every check of a QMP error's class or text is here, so that
// a QEMU that words an error differently is fixed in one place.

function answered(error: unknown, errorClass: string | undefined, text: string): boolean {
  return (
    error instanceof QmpCommandError &&
    (errorClass === undefined || error.errorClass === errorClass) &&
    error.description.includes(text)
  );
}

/** device_del or netdev_del of an id QEMU does not hold (already gone). */
export function isDeviceNotFound(error: unknown): boolean {
  return answered(error, "DeviceNotFound", "");
}

/** netdev_add of an id QEMU already holds (added by an earlier pass). */
export function isDuplicateId(error: unknown): boolean {
  return answered(error, "GenericError", "Duplicate");
}

/** blockdev-del of a node QEMU does not hold (already gone). */
export function isNodeNotFound(error: unknown): boolean {
  return answered(error, "GenericError", "find node");
}

/** object-del of a secret QEMU does not hold (already gone). */
export function isObjectNotFound(error: unknown): boolean {
  return answered(error, "GenericError", "not found");
}

/** blockdev-del of a node a device still holds: the device is finalised a moment after it left the guest. */
export function isNodeInUse(error: unknown): boolean {
  return answered(error, undefined, "is in use");
}

/** device_add of a disk whose node the same volume's previous device, not yet finalised, still holds. */
export function isDriveHeldByPreviousDevice(error: unknown): boolean {
  return answered(error, undefined, "Permission conflict");
}

/** device_add of a NIC whose netdev the same NIC's previous device, not yet finalised, still holds. */
export function isNetdevHeldByPreviousDevice(error: unknown): boolean {
  return answered(error, undefined, "in use");
}

/** A catch handler that swallows the errors `expected` accepts and throws every other. */
export function ignoring(expected: (error: unknown) => boolean): (error: unknown) => void {
  return (error: unknown) => {
    if (!expected(error)) throw error;
  };
}
