import type { ChildProcess } from "node:child_process";
import { Worker } from "node:worker_threads";

/** How a tool ended, with its stdout and the start and end of its stderr (rbd writes progress there, without bound). */
export interface ToolExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderrHead: string;
  readonly stderrTail: string;
}

export type ToolOutcome = { readonly exit: ToolExit } | { readonly startError: string };

/** A started tool, wherever it was spawned. */
export interface RunningTool {
  kill(signal: NodeJS.Signals): void;
}

/** Stderr kept for an error message (its start and its end). */
export const STDERR_KEEP_BYTES = 8 * 1024;

/**
 * Collects a spawned tool's output and reports how it ended, once. Self-contained (it also runs in the tool
 * thread, from its source text): no reference to anything outside its own body.
 */
export function collectOutput(
  child: ChildProcess,
  keepBytes: number,
  done: (outcome: ToolOutcome) => void,
): void {
  const stdout: Buffer[] = [];
  let stderrHead = "";
  let stderrTail = "";
  let reported = false;
  const report = (outcome: ToolOutcome) => {
    if (reported) return;
    reported = true;
    done(outcome);
  };
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (stderrHead.length < keepBytes) stderrHead += chunk.slice(0, keepBytes - stderrHead.length);
    stderrTail = (stderrTail + chunk).slice(-keepBytes);
  });
  child.on("error", (error) => report({ startError: error.message }));
  child.on("close", (code, signal) =>
    report({
      exit: { code, signal, stdout: Buffer.concat(stdout).toString("utf8"), stderrHead, stderrTail },
    }),
  );
}

/** An environment the thread keeps, for the spawns that name it by id (sent once, not with every spawn). */
interface EnvironmentRequest {
  readonly kind: "env";
  readonly id: number;
  readonly env: NodeJS.ProcessEnv;
}
interface SpawnRequest {
  readonly kind: "spawn";
  readonly id: number;
  readonly file: string;
  readonly argv: readonly string[];
  readonly envId: number;
  readonly keepBytes: number;
  /** Written to the tool's stdin whole (a small input: the thread holds it in memory). */
  readonly input?: Uint8Array;
}
interface KillRequest {
  readonly kind: "kill";
  readonly id: number;
  readonly signal: NodeJS.Signals;
}
interface SpawnAnswer {
  readonly id: number;
  readonly outcome: ToolOutcome;
}

/**
 * The tool thread's body, run from its source text (so that it needs no file of its own beside a bundle):
 * spawns what it is asked to and answers with each tool's outcome. Linux's pdeathsig follows the thread that
 * forked: these tools die when this thread or the process does.
 */
function toolThreadMain(collect: typeof collectOutput): void {
  const { spawn } = process.getBuiltinModule("node:child_process");
  const { parentPort } = process.getBuiltinModule("node:worker_threads");
  const children = new Map<number, ChildProcess>();
  const environments = new Map<number, NodeJS.ProcessEnv>();
  parentPort?.on("message", (request: EnvironmentRequest | SpawnRequest | KillRequest) => {
    if (request.kind === "env") {
      environments.set(request.id, request.env);
      return;
    }
    if (request.kind === "kill") {
      children.get(request.id)?.kill(request.signal);
      return;
    }
    const child = spawn(request.file, [...request.argv], {
      stdio: [request.input ? "pipe" : "ignore", "pipe", "pipe"],
      env: environments.get(request.envId),
    });
    children.set(request.id, child);
    // A tool that fails before reading its input closes the pipe: its exit code tells, not EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(request.input);
    collect(child, request.keepBytes, (outcome) => {
      children.delete(request.id);
      parentPort.postMessage({ id: request.id, outcome } satisfies SpawnAnswer);
    });
  });
}

/**
 * Spawns the short tool calls (no stdin, or a small input held in memory) on a thread of their own. libuv's spawn is synchronous:
 * fork+exec of the ~200 MiB provider takes milliseconds (tens under load), which on the main thread every
 * Status and List behind it would wait for; here it blocks only this thread.
 */
class ToolThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (outcome: ToolOutcome) => void>();
  /** The environments this thread was sent, by object: a CephCli's is one object for all its calls. */
  private environments = new WeakMap<NodeJS.ProcessEnv, number>();

  spawn(
    file: string,
    argv: readonly string[],
    env: NodeJS.ProcessEnv,
    input: Uint8Array | undefined,
    done: (outcome: ToolOutcome) => void,
  ): RunningTool {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    this.pending.set(id, done);
    let envId = this.environments.get(env);
    if (envId === undefined) {
      envId = id;
      this.environments.set(env, envId);
      worker.postMessage({ kind: "env", id: envId, env } satisfies EnvironmentRequest);
    }
    worker.postMessage({
      kind: "spawn",
      id,
      file,
      argv,
      envId,
      keepBytes: STDERR_KEEP_BYTES,
      ...(input ? { input } : {}),
    } satisfies SpawnRequest);
    return {
      kill: (signal) => {
        if (this.pending.has(id)) worker.postMessage({ kind: "kill", id, signal } satisfies KillRequest);
      },
    };
  }

  private start(): Worker {
    const source = `const collect = ${collectOutput.toString()};\n(${toolThreadMain.toString()})(collect);`;
    const worker = new Worker(source, { eval: true });
    // The calls waiting on it keep the process alive, not the thread.
    worker.unref();
    worker.on("message", ({ id, outcome }: SpawnAnswer) => {
      const done = this.pending.get(id);
      this.pending.delete(id);
      done?.(outcome);
    });
    const stopped = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // Its tools died with it (pdeathsig); the calls fail as ones that could not start.
      for (const done of this.pending.values()) done({ startError: why });
      this.pending.clear();
    };
    worker.on("error", (error) => stopped(`the tool thread failed: ${error.message}`));
    worker.on("exit", (code) => stopped(`the tool thread exited (${code})`));
    this.worker = worker;
    this.environments = new WeakMap();
    return worker;
  }
}

export const toolThread = new ToolThread();
