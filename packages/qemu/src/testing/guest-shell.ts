import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Runs commands in the test guest's serial-console shell and returns their output. Each command is wrapped
 * in begin/end markers that the shell prints but that its echo of the typed line does not contain.
 */
export class GuestShell {
  private output = "";
  private sequence = 0;
  private readonly abort = new AbortController();

  private constructor(private readonly console: Duplex) {
    console.on("data", (chunk: Buffer) => {
      this.output += chunk.toString("utf8");
    });
    console.on("error", () => {});
  }

  static async open(open: (signal: AbortSignal) => Promise<Duplex>): Promise<GuestShell> {
    const controller = new AbortController();
    const shell = new GuestShell(await open(controller.signal));
    shell.abort.signal.addEventListener("abort", () => controller.abort());
    return shell;
  }

  /** The command's output (trimmed), or an error naming what the console showed at the deadline. */
  async run(command: string, timeoutMs = 30_000): Promise<string> {
    const n = ++this.sequence;
    const pattern = new RegExp(`\\r?\\nBEGIN-${n}\\r?\\n([\\s\\S]*?)\\r?\\nEND-${n}\\r?\\n`);
    const deadline = Date.now() + timeoutMs;
    let nextPrompt = 0;
    while (Date.now() < deadline) {
      // Type the command again until it runs: the shell may not be up yet right after boot.
      if (Date.now() >= nextPrompt) {
        // The bare echo ends output that has no newline of its own.
        this.console.write(`echo BEG""IN-${n}; ${command}; echo; echo EN""D-${n}\n`);
        nextPrompt = Date.now() + 5000;
      }
      const match = pattern.exec(this.output);
      if (match) {
        this.output = this.output.slice((match.index ?? 0) + match[0].length);
        return (match[1] ?? "").replaceAll("\r", "").trim();
      }
      await sleep(50);
    }
    throw new Error(
      `no output for ${JSON.stringify(command)} within ${timeoutMs} ms; console: ${this.output.slice(-500)}`,
    );
  }

  /** Runs `command` until its output satisfies `accept` (a device appearing after a hot-plug takes a while). */
  async waitFor(command: string, accept: (output: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let output = "";
    while (Date.now() < deadline) {
      output = await this.run(command, Math.max(1000, deadline - Date.now()));
      if (accept(output)) return output;
      await sleep(250);
    }
    throw new Error(
      `${JSON.stringify(command)} still printed ${JSON.stringify(output)} after ${timeoutMs} ms`,
    );
  }

  close(): void {
    this.abort.abort();
    this.console.destroy();
  }
}
