import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** The `rbd` subcommands and `ceph` processes the backend started, one entry per process (e.g. "rbd ls"). */
export interface ToolLog {
  /** Entries since the last `clear`. */
  entries(): string[];
  clear(): void;
  dispose(): void;
}

/**
 * Puts `rbd` and `ceph` wrappers first on this process's PATH (the backend's tools inherit it): each writes
 * its tool and the first word after the connection flags to a log, then execs the real tool.
 */
export function logToolCalls(): ToolLog {
  const dir = mkdtempSync(join(tmpdir(), "iri-tool-log-"));
  const log = join(dir, "calls");
  writeFileSync(log, "");
  for (const tool of ["rbd", "ceph"]) {
    // The connection flags come first (`--conf /dev/null -m … --id …` and friends): skip options and values.
    const script = `#!/bin/sh
word=
skip=
for arg in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case "$arg" in
    --*=*) ;;
    -m|--conf|--id|--keyring|--connect-timeout|--rados-osd-op-timeout|--rados-mon-op-timeout|--client-mount-timeout) skip=1 ;;
    -*) ;;
    *) word=$arg; break ;;
  esac
done
printf '%s %s\\n' ${tool} "$word" >> '${log}'
exec /usr/bin/${tool} "$@"
`;
    writeFileSync(join(dir, tool), script);
    chmodSync(join(dir, tool), 0o755);
  }
  const before = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${before ?? ""}`;
  return {
    entries: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    clear: () => writeFileSync(log, ""),
    dispose: () => {
      process.env.PATH = before;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
