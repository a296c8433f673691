import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * fdatasync of one file from the libuv thread pool, through a descriptor opened once (read-only: Linux syncs
 * a file's pages through any descriptor). The first sync also fsyncs the directory, so that a file created
 * since the last start (SQLite makes the WAL on the first write) is itself durable.
 */
export class FileSyncer {
  #handle: Promise<FileHandle> | undefined;

  constructor(private readonly path: string) {}

  async sync(): Promise<void> {
    this.#handle ??= open(this.path, "r").then(async (handle) => {
      const directory = await open(dirname(this.path), "r");
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      return handle;
    });
    await (await this.#handle).datasync();
  }

  /** Closes the descriptor; the caller waits for every pending sync first. */
  close(): void {
    const handle = this.#handle;
    this.#handle = undefined;
    void handle?.then(
      (h) => h.close(),
      () => undefined,
    );
  }
}
