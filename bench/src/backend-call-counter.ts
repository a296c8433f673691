// Counts the Ceph CLI processes a provider spawns, without its cooperation: `rbd` and `ceph` are put first on
// this process's PATH (which every provider started afterwards inherits) as tiny scripts that append one byte
// to a count file and exec the real tool. The count is the file's size; the tools behave as before.
import { accessSync, chmodSync, constants, mkdirSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface CallCounter {
  /** Calls of the counted tools so far, by anyone in this process tree (the bench's own included). */
  count(): number;
}

/** Wraps `tools` found on PATH now; `dir` holds the wrappers and the count file. */
export function countToolCalls(dir: string, tools: readonly string[]): CallCounter {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const countFile = join(dir, "calls");
  writeFileSync(countFile, "");
  for (const tool of tools) {
    // Resolved before PATH changes, so that the wrapper never finds itself.
    const real = onPath(tool);
    if (!real) throw new Error(`${tool} is not on PATH`);
    const script = `#!/bin/sh\nprintf . >> '${countFile}'\nexec '${real}' "$@"\n`;
    writeFileSync(join(bin, tool), script);
    chmodSync(join(bin, tool), 0o755);
  }
  process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ""}`;
  return { count: () => statSync(countFile).size };
}

/** The executable `tool` the PATH lookup of exec finds, if any. */
function onPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir.startsWith("/")) continue;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
