import { execFile } from "node:child_process";

/** A tool exited non-zero; `stderr` carries its own message (it never holds a secret: none is passed). */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(" ")} failed (${exitCode ?? "signal"}): ${stderr.trim()}`);
  }
}

/** Runs a tool with an argv array (never a shell) and resolves its stdout. */
export function runCommand(argv: readonly string[], signal?: AbortSignal): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error("empty argv"));
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024, signal },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === "number" ? error.code : null;
          reject(new CommandError(argv, code, stderr || error.message));
        } else resolve(stdout);
      },
    );
  });
}
