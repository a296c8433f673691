import { open, truncate, writeFile } from "node:fs/promises";

/**
 * Keeps a machine's console log (written by QEMU, appending) within `capBytes` as a ring of two parts: when
 * `console.log` passes 3/8 of the cap, its newest 3/8 are copied to `console.log.1` (replacing the older part)
 * and it is truncated; QEMU appends (O_APPEND) and carries on at the new end. Checked every 250 ms, so the cap
 * holds unless a guest prints more than a quarter of it in that time (a serial console prints far less). Bytes the guest prints between the copy and the truncation are lost, as with logrotate's
 * copytruncate; a console log is a convenience, never a record.
 */
export class ConsoleLogCap {
  private readonly timer: NodeJS.Timeout;
  private readonly logs = new Set<string>();
  private running = false;

  constructor(
    private readonly capBytes: number,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => void this.trimAll(), intervalMs);
    this.timer.unref();
  }

  /** Starts watching a running machine's console log (idempotent). */
  watch(path: string): void {
    this.logs.add(path);
  }

  unwatch(path: string): void {
    this.logs.delete(path);
  }

  close(): void {
    clearInterval(this.timer);
    this.logs.clear();
  }

  /** Rotates `path` when it holds more than 3/8 of the cap; a missing file is left alone. */
  async trim(path: string): Promise<void> {
    const part = Math.floor((this.capBytes * 3) / 8);
    const file = await open(path, "r");
    try {
      const size = (await file.stat()).size;
      if (size <= part) return;
      // A flood between two checks may have written more than that: keep the newest part.
      const tail = Buffer.alloc(part);
      const { bytesRead } = await file.read(tail, 0, part, size - part);
      await writeFile(`${path}.1`, tail.subarray(0, bytesRead), { mode: 0o600 });
    } finally {
      await file.close();
    }
    await truncate(path, 0);
  }

  private async trimAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const path of this.logs) {
        await this.trim(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") this.logs.delete(path);
        });
      }
    } finally {
      this.running = false;
    }
  }
}
