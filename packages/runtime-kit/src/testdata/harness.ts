// Shared by the specs: temporary directories, a logger whose output is captured, and polling with a deadline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "../logging.js";

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far. */
  text(): string;
  /** The lines parsed as JSON. */
  lines(): Record<string, unknown>[];
}

export function captureLogger(level = "debug"): CapturedLogger {
  const chunks: string[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void chunks.push(s) } });
  return {
    logger,
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export function tempDir(): { path: string; remove(): void } {
  // Short paths: a unix socket path must fit in 107 bytes.
  const path = mkdtempSync(join(tmpdir(), "rk-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
