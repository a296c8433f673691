import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { CephCommandError, CephUnreachableError, Errno, lastStderrLine } from "./ceph-command-error.js";
import {
  collectOutput,
  type RunningTool,
  STDERR_KEEP_BYTES,
  type ToolExit,
  type ToolOutcome,
  toolThread,
} from "./tool-thread.js";

/**
 * How the tools reach the cluster: no ceph.conf is read, and the key reaches each tool in its environment
 * (`CEPH_ARGS=--key …`, which /proc shows to the same user only): never on disk, never in argv (which every
 * user can read). A keyring on a pipe does not work: librados reads the keyring more than once.
 */
export interface CephConnection {
  /** Comma-separated `host:port` monitor addresses. */
  readonly monitors: string;
  /** The cephx user without its `client.` prefix. */
  readonly id: string;
  /** The user's cephx key (base64). */
  readonly key: string;
  /** Seconds a monitor or OSD may take to answer before a call fails as unreachable. */
  readonly timeoutSeconds: number;
  /** Added to the provider's own niceness for every tool it starts (0: the provider's priority). */
  readonly toolNiceness?: number;
}

export interface RunOptions {
  /** Streamed into the tool's stdin (e.g. `rbd import-diff -`). */
  readonly stdin?: Readable;
  /** A small input written to the tool's stdin whole, from the tool thread (unlike `stdin`). */
  readonly input?: Uint8Array;
  readonly signal?: AbortSignal;
  /** Our own deadline for the whole call; defaults to a few times the cluster timeout. */
  readonly deadlineMs?: number;
}

export type Tool = "rbd" | "ceph" | "rados";

/** The errno of a CephCommandError whose tool was killed by a signal it did not get from us. */
export const CRASHED = -1;
const CRASH_ATTEMPTS = 3;

/**
 * Runs `rbd` and `ceph` with argv arrays (never a shell) against one cluster identity. Exit codes are the
 * failing call's errno (CephCommandError); a cluster that does not answer in time is CephUnreachableError.
 */
export class CephCli {
  /** Built once: reading `process.env` whole is a getenv per variable, on every call otherwise. */
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly connection: CephConnection) {
    this.env = toolEnvironment(connection);
  }

  /** `rbd <args>`; resolves to stdout. */
  rbd(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return this.run("rbd", args, options);
  }

  /** `ceph <args>`; resolves to stdout. */
  ceph(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return this.run("ceph", args, options);
  }

  /** `rados <args>`; resolves to stdout. */
  rados(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return this.run("rados", args, options);
  }

  /** `rbd <args> --format json`, parsed. */
  async rbdJson<T>(args: readonly string[], options: RunOptions = {}): Promise<T> {
    return parseJson<T>("rbd", args, await this.rbd([...args, "--format", "json"], options));
  }

  /** `ceph <args> --format json`, parsed. */
  async cephJson<T>(args: readonly string[], options: RunOptions = {}): Promise<T> {
    return parseJson<T>("ceph", args, await this.ceph([...args, "--format", "json"], options));
  }

  private async run(tool: Tool, args: readonly string[], options: RunOptions): Promise<string> {
    // librbd in Ceph 16 sometimes aborts while closing an image after the operation itself completed
    // (`AsyncOpTracker` assertion, seen with concurrent metadata writes): a crashed call that read no stdin
    // is run again; every call the backend makes is safe to repeat.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(tool, args, options);
      } catch (error) {
        const crashed = error instanceof CephCommandError && error.errno === CRASHED;
        if (!crashed || options.stdin || attempt >= CRASH_ATTEMPTS) throw error;
      }
    }
  }

  private runOnce(tool: Tool, args: readonly string[], options: RunOptions): Promise<string> {
    const command = describe(tool, args);
    const deadlineMs = options.deadlineMs ?? this.connection.timeoutSeconds * 4 * 1000;
    return new Promise<string>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason);
        return;
      }
      const [file, argv] = toolCommand(this.connection, tool, [
        ...connectionArgs(this.connection, tool),
        ...args,
      ]);
      const env = this.env;
      let settled = false;
      let outcome: Error | undefined;
      const finish = (error: Error | undefined, value?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve(value ?? "");
      };
      const onOutcome = (result: ToolOutcome) => {
        if (outcome) finish(outcome);
        else if ("startError" in result)
          finish(new Error(`${command}: cannot start ${tool}: ${result.startError}`));
        else {
          const [error, stdout] = judgeExit(tool, command, result.exit);
          finish(error, stdout);
        }
      };
      const { stdin } = options;
      const child = stdin
        ? spawnStreamed(
            file,
            argv,
            env,
            stdin,
            (error) => {
              outcome ??= error;
            },
            onOutcome,
          )
        : toolThread.spawn(file, argv, env, options.input, onOutcome);
      const timer = setTimeout(() => {
        outcome = new CephUnreachableError(`${command}: no answer from the cluster within ${deadlineMs} ms`);
        child.kill("SIGKILL");
      }, deadlineMs);
      const onAbort = () => {
        outcome =
          options.signal?.reason instanceof Error ? options.signal.reason : new Error(`${command} aborted`);
        child.kill("SIGTERM");
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * The executable and argv that start `tool` with `args`. The tool dies with the provider (a kill -9
 * included): an orphaned `rbd encryption format` or `import-diff` would otherwise race the job the restarted
 * provider starts on the same image. It runs `toolNiceness` below the provider: a burst's tools saturate the
 * host's cores, and the provider's event loop (Status, List, the poollets' calls) must get a CPU first.
 * `nice` in argv rather than setpriority() on the child after spawn: Linux niceness is per thread, and by
 * then the tool may have started threads that would keep the old priority.
 */
export function toolCommand(
  connection: CephConnection,
  tool: Tool,
  args: readonly string[],
): [string, string[]] {
  const argv = ["--pdeathsig", "KILL", tool, ...args];
  const niceness = connection.toolNiceness ?? 0;
  return niceness === 0 ? ["setpriv", argv] : ["nice", ["-n", String(niceness), "setpriv", ...argv]];
}

/**
 * A tool fed from a Node stream, spawned on the main thread (the stream lives here); `onStreamError` learns
 * of a failed input before the tool's exit reports it.
 */
function spawnStreamed(
  file: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  input: Readable,
  onStreamError: (error: Error) => void,
  done: (outcome: ToolOutcome) => void,
): RunningTool {
  const child = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"], env });
  collectOutput(child, STDERR_KEEP_BYTES, done);
  const stdin = child.stdin;
  if (stdin) {
    // The tool closing its stdin early (it failed) surfaces as its exit code, not as EPIPE.
    stdin.on("error", () => {});
    input.on("error", (error) => {
      onStreamError(error);
      // Ending its input (rather than killing it) lets the tool fail on the cut stream and close the
      // image cleanly: a killed rbd leaves a watch that blocks removing the image for 30 s.
      input.unpipe(stdin);
      stdin.end();
    });
    input.pipe(stdin);
  }
  return child;
}

/** A finished tool's result: its stdout, or the error its exit means. */
function judgeExit(tool: Tool, command: string, exit: ToolExit): [Error] | [undefined, string] {
  const { code, signal, stdout, stderrHead, stderrTail } = exit;
  if (code === 0) return [undefined, stdout];
  if (isUnreachable(tool, code, stderrTail))
    return [
      new CephUnreachableError(`${command}: the cluster did not answer (${lastStderrLine(stderrTail)})`),
    ];
  // The tool crashed (an assertion or a fault in librbd): report the cause, not the crash dump's tail.
  if (code === null)
    return [new CephCommandError(command, CRASHED, `killed by ${signal}: ${crashCause(stderrHead)}`)];
  return [new CephCommandError(command, code, stderrTail)];
}

/** The flags that point a tool at the cluster (no ceph.conf read); the key comes from `toolEnvironment`. */
export function connectionArgs(connection: CephConnection, tool: Tool): string[] {
  const { monitors, id, timeoutSeconds } = connection;
  const seconds = String(timeoutSeconds);
  const args = [
    "--conf",
    "/dev/null",
    "-m",
    monitors,
    "--id",
    id,
    "--client-mount-timeout",
    seconds,
    "--rados-mon-op-timeout",
    seconds,
    "--rados-osd-op-timeout",
    String(timeoutSeconds * 3),
  ];
  if (tool === "ceph") args.push("--connect-timeout", seconds);
  return args;
}

/** A tool's environment: the key in `CEPH_ARGS` (which /proc shows to the same user only, unlike argv). */
export function toolEnvironment(connection: CephConnection): NodeJS.ProcessEnv {
  return { ...process.env, CEPH_ARGS: `--key ${connection.key}` };
}

function isUnreachable(tool: Tool, code: number | null, stderr: string): boolean {
  if (code === Errno.ETIMEDOUT || code === Errno.ECONNREFUSED) return true;
  // The ceph CLI exits 1 with "timed out" when the monitor does not answer within --connect-timeout.
  return tool === "ceph" && code === 1 && /timed out|error connecting to the cluster/i.test(stderr);
}

/** The tool and its subcommand words, for messages: never the values that follow. */
function describe(tool: Tool, args: readonly string[]): string {
  const words: string[] = [tool];
  for (const arg of args) {
    if (arg.startsWith("-") || arg.includes("/") || words.length >= 3) break;
    words.push(arg);
  }
  return words.join(" ");
}

function parseJson<T>(tool: Tool, args: readonly string[], text: string): T {
  try {
    return JSON.parse(text === "" ? "null" : text) as T;
  } catch (error) {
    throw new Error(`${describe(tool, args)}: output is not JSON`, { cause: error });
  }
}

function crashCause(stderr: string): string {
  return /.*(ceph_assert|Caught signal|what\(\)).*/.exec(stderr)?.[0].trim() ?? "no message";
}
