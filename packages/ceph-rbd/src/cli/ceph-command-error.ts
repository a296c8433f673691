/** errno values the rbd and ceph tools exit with (they exit with the failing call's errno). */
export const Errno = {
  ENOENT: 2,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOTEMPTY: 39,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
} as const;

/** A `rbd` or `ceph` call that exited non-zero; `errno` is its exit code. */
export class CephCommandError extends Error {
  override readonly name = "CephCommandError";
  constructor(
    /** The tool and subcommand, e.g. "rbd snap create" (never arguments that could carry data). */
    readonly command: string,
    readonly errno: number,
    /** The last lines the tool wrote to stderr. */
    readonly stderr: string,
  ) {
    super(`${command} failed (errno ${errno}): ${lastStderrLine(stderr)}`);
  }

  is(errno: number): boolean {
    return this.errno === errno;
  }
}

/** The cluster did not answer in time (monitor down, connection refused, our own deadline). */
export class CephUnreachableError extends Error {
  override readonly name = "CephUnreachableError";
}

/** True when `error` is a CephCommandError with one of the errnos. */
export function isCephErrno(error: unknown, ...errnos: number[]): error is CephCommandError {
  return error instanceof CephCommandError && errnos.includes(error.errno);
}

/** The last line of a tool's stderr that is not a progress line. */
export function lastStderrLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/\d+% complete/.test(line));
  return lines.at(-1) ?? "no message";
}
