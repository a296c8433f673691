import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import { type CephConnection, connectionArgs, toolCommand, toolEnvironment } from "./ceph-cli.js";
import { CephCommandError, CephUnreachableError } from "./ceph-command-error.js";

/**
 * What ends a command's answer. The interactive `ceph` prints a success's output on stdout and its status
 * line (`updated`, …) and failures (`Error EINVAL: …`) on stderr, unmarked: each command the shell runs must
 * end in exactly one line it can recognise, and the next command is sent only after it.
 */
export type Answer =
  /** One JSON line on stdout. */
  | { readonly kind: "json" }
  /** A status line on stderr that matches. */
  | { readonly kind: "status"; readonly success: RegExp };

interface Request {
  readonly line: string;
  readonly command: string;
  readonly answer: Answer;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
  settled: boolean;
  /** Tools that died under it: a tool found dead (killed or crashed while idle) is replaced once. */
  lostTools: number;
}

/** librados' own log lines on stderr (a reconnect, a slow monitor): not answers. */
const LOG_LINE = /^\d{4}-\d\d-\d\dT\S+ +[0-9a-f]+ /;
const ERROR_LINE = /^Error ([A-Z0-9]+): ?(.*)$/;
/** The tool quits after an idle moment: an idle provider holds no monitor session. */
const IDLE_MS = 5_000;
const NOISE_KEEP_LINES = 20;

/**
 * One long-lived `ceph` process in interactive mode (commands on stdin, one a line) for short mon commands:
 * a `ceph` process spends ~0.2 s of CPU starting Python, authenticating and loading the command table
 * before its one command, a command sent to a running one costs a mon round trip and the tool's validation
 * (~0.07 s). Commands go one at a time (answers carry no tag); secrets are never in a command line, and
 * what comes back on stdout is handed to the caller only, never logged.
 */
export class CephShell {
  private child: ChildProcess | undefined;
  private readonly queue: Request[] = [];
  private current: Request | undefined;
  /** The process the current request went to: a replaced process's last words are not its answer. */
  private sentTo: ChildProcess | undefined;
  private noise: string[] = [];
  private deadline: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  /** Tools the shell killed itself (no answer in time, output out of step): their commands are not repeated. */
  private readonly killed = new WeakSet<ChildProcess>();

  constructor(private readonly connection: CephConnection) {}

  /** Commands queued or running (for choosing the least busy of several shells). */
  get load(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** Runs `args` (a mon command with `--format json` applied); resolves to the answer's line. */
  run(args: readonly string[], answer: Answer, signal?: AbortSignal): Promise<string> {
    const line = args.map(quote).join(" ");
    const command = `ceph ${args.slice(0, 2).join(" ")}`;
    return new Promise<string>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const request: Request = {
        line,
        command,
        answer,
        signal,
        resolve,
        reject,
        settled: false,
        lostTools: 0,
      };
      signal?.addEventListener(
        "abort",
        () => {
          // A command already sent still runs to its answer, which is dropped; a queued one is never sent.
          const index = this.queue.indexOf(request);
          if (index >= 0) this.queue.splice(index, 1);
          this.settle(
            request,
            signal.reason instanceof Error ? signal.reason : new Error(`${command} aborted`),
          );
        },
        { once: true },
      );
      this.queue.push(request);
      this.next();
    });
  }

  /** Ends the tool (it exits once stdin closes). */
  close(): void {
    clearTimeout(this.idle);
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private next(): void {
    if (this.current) return;
    const request = this.queue.shift();
    if (!request) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => this.close(), IDLE_MS).unref();
      return;
    }
    clearTimeout(this.idle);
    this.current = request;
    this.noise = [];
    const child = this.child ?? this.start();
    this.sentTo = child;
    const deadlineMs = this.connection.timeoutSeconds * 4 * 1000;
    this.deadline = setTimeout(() => {
      this.finish(
        new CephUnreachableError(`${request.command}: no answer from the cluster within ${deadlineMs} ms`),
      );
      // The answer may still come: the process is not reusable.
      this.kill(child);
    }, deadlineMs);
    child.stdin?.write(`${request.line}\n`);
  }

  private start(): ChildProcess {
    const [file, argv] = toolCommand(this.connection, "ceph", [
      ...connectionArgs(this.connection, "ceph"),
      "--format",
      "json",
    ]);
    const child = spawn(file, argv, {
      stdio: ["pipe", "pipe", "pipe"],
      // Unbuffered: an answer must reach us when it is printed, not when the tool's buffer fills.
      env: { ...toolEnvironment(this.connection), PYTHONUNBUFFERED: "1" },
    });
    this.child = child;
    child.stdin?.on("error", () => {});
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) =>
      this.onStdout(child, line),
    );
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) =>
      this.onStderr(child, line),
    );
    child.on("error", (error) => this.onExit(child, `cannot start ceph: ${error.message}`));
    child.on("close", (code, signal) => this.onExit(child, `ceph exited (${signal ?? code})`));
    return child;
  }

  private onStdout(child: ChildProcess, line: string): void {
    if (line === "" || child !== this.sentTo) return;
    if (this.current?.answer.kind !== "json") {
      // Output nobody asked for: the answers would be out of step from here on.
      this.kill(child);
      return;
    }
    this.finish(undefined, line);
  }

  private onStderr(child: ChildProcess, line: string): void {
    const request = this.current;
    if (!request || child !== this.sentTo || line === "" || LOG_LINE.test(line)) return;
    const error = ERROR_LINE.exec(line);
    if (error) {
      const errno = constants.errno[error[1] as keyof typeof constants.errno] ?? 1;
      this.finish(new CephCommandError(request.command, errno, [...this.noise, line].join("\n")));
    } else if (request.answer.kind === "status" && request.answer.success.test(line)) {
      this.finish(undefined, line);
    } else {
      this.noise = [...this.noise, line].slice(-NOISE_KEEP_LINES);
    }
  }

  private onExit(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = undefined;
    const request = this.current;
    if (!request || child !== this.sentTo) return;
    if (request.lostTools++ === 0 && !this.killed.has(child)) {
      // Every command the shell runs is safe to repeat (as with CephCli's crashed calls).
      clearTimeout(this.deadline);
      this.current = undefined;
      this.sentTo = undefined;
      this.queue.unshift(request);
      this.next();
      return;
    }
    const detail = this.noise.at(-1) ?? why;
    this.finish(
      /timed out|error connecting/i.test(detail)
        ? new CephUnreachableError(`${request.command}: the cluster did not answer (${detail})`)
        : new Error(`${request.command}: ${why}: ${detail}`),
    );
  }

  private finish(error: Error | undefined, line?: string): void {
    const request = this.current;
    if (!request) return;
    clearTimeout(this.deadline);
    this.current = undefined;
    this.sentTo = undefined;
    this.settle(request, error, line);
    this.next();
  }

  private settle(request: Request, error: Error | undefined, line?: string): void {
    if (request.settled) return;
    request.settled = true;
    if (error) request.reject(error);
    else request.resolve(line ?? "");
  }

  private kill(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    this.killed.add(child);
    child.kill("SIGKILL");
  }
}

/** Several shells: a command goes to the least busy (the monitor batches concurrent auth writes). */
export class CephShells {
  private readonly shells: CephShell[];

  constructor(connection: CephConnection, count: number) {
    this.shells = Array.from({ length: count }, () => new CephShell(connection));
  }

  run(args: readonly string[], answer: Answer, signal?: AbortSignal): Promise<string> {
    const shell = this.shells.reduce((best, shell) => (shell.load < best.load ? shell : best));
    return shell.run(args, answer, signal);
  }

  close(): void {
    for (const shell of this.shells) shell.close();
  }
}

/** One word for the tool's line parser (Python's shlex): single quotes, a quote spelled '"'"'. */
function quote(arg: string): string {
  if (/[\r\n\0]/.test(arg)) throw new Error("a ceph shell argument cannot contain a line break");
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}
