import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** How often a writer looks whether the tool opened its FIFO yet. */
const OPEN_POLL_MS = 20;

/**
 * Hands secrets to a tool that reads them only from a named file (`rbd encryption format`, qemu-img's secret
 * objects), without them touching the disk: each is a FIFO (0600, in the backend's 0700 state dir) written
 * once the tool opens it, so the secret only ever sits in a kernel pipe buffer. A kill -9 leaves at most an
 * empty FIFO, which the next start sweeps (`.secret-*`). Node's own pipes are socket pairs, which a tool
 * cannot open by a `/dev/fd` path.
 */
export async function withSecretPipes<T>(
  dir: string,
  secrets: readonly Uint8Array[],
  use: (paths: string[]) => Promise<T>,
): Promise<T> {
  const paths = secrets.map(() => join(dir, `.secret-${randomBytes(8).toString("hex")}`));
  const done = new AbortController();
  try {
    for (const path of paths) await run("mkfifo", ["-m", "0600", path]);
    secrets.forEach((secret, i) => {
      // A tool that failed before opening its FIFO leaves the writer waiting until `done` stops it.
      feed(paths[i] as string, secret, done.signal).catch(() => undefined);
    });
    return await use(paths);
  } finally {
    done.abort();
    await Promise.all(paths.map((path) => rm(path, { force: true })));
  }
}

async function feed(path: string, secret: Uint8Array, signal: AbortSignal): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      // Non-blocking: fails with ENXIO until the tool has opened the FIFO for reading.
      handle = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENXIO") throw error;
      await sleep(OPEN_POLL_MS, undefined, { signal });
      continue;
    }
    try {
      await handle.write(secret);
    } finally {
      await handle.close();
    }
    return;
  }
}
