import { EventEmitter } from "node:events";
import { createConnection, type Socket } from "node:net";
import { QmpClosedError, QmpCommandError, QmpTimeoutError } from "./qmp-errors.js";

/** An asynchronous event QEMU sent (e.g. SHUTDOWN, DEVICE_DELETED). */
export interface QmpEvent {
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface QmpConnectOptions {
  /** How long connecting plus the capabilities handshake may take. */
  readonly timeoutMs: number;
  /** Default deadline for each command. */
  readonly commandTimeoutMs: number;
}

interface PendingCommand {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One QMP connection: newline-delimited JSON, commands matched to replies by id, events emitted as "event".
 * Emits "close" once when the socket ends (QEMU exited or the connection broke); pending commands then fail
 * with QmpClosedError.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private buffered = "";
  private nextId = 1;
  private readonly pending = new Map<string, PendingCommand>();
  private closedFlag = false;

  private constructor(
    private readonly socket: Socket,
    private readonly commandTimeoutMs: number,
  ) {
    super();
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.onClose());
  }

  /** Connects to a QMP unix socket, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, options: QmpConnectOptions): Promise<QmpClient> {
    const socket = createConnection(path);
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new QmpTimeoutError("greeting", options.timeoutMs));
      }, options.timeoutMs);
      let text = "";
      const onData = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (!text.includes("\n")) return;
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("error", onError);
        const [line = "", rest = ""] = splitOnce(text);
        if (!line.includes('"QMP"')) {
          socket.destroy();
          reject(new QmpClosedError(`not a QMP greeting on ${path}`));
          return;
        }
        if (rest !== "") socket.unshift(Buffer.from(rest, "utf8"));
        resolve();
      };
      const onError = (error: Error) => {
        clearTimeout(timer);
        reject(
          new QmpClosedError(`cannot connect to QMP socket ${path}: ${error.message}`, { cause: error }),
        );
      };
      socket.on("data", onData);
      socket.once("error", onError);
    });
    await greeting;
    const client = new QmpClient(socket, options.commandTimeoutMs);
    await client.execute("qmp_capabilities");
    return client;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs a command; rejects with QmpCommandError when QEMU answers an error, QmpTimeoutError after the deadline. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = this.commandTimeoutMs,
  ): Promise<T> {
    if (this.closedFlag) return Promise.reject(new QmpClosedError(`QMP connection closed before ${command}`));
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.write(
        `${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`,
      );
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf("\n");
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line !== "") this.onMessage(line);
      newline = this.buffered.indexOf("\n");
    }
  }

  private onMessage(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message.event === "string") {
      this.emit("event", { event: message.event, data: (message.data ?? {}) as Record<string, unknown> });
      return;
    }
    const id = typeof message.id === "string" ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    const error = message.error as { class?: string; desc?: string } | undefined;
    if (error)
      pending.reject(new QmpCommandError(pending.command, error.class ?? "GenericError", error.desc ?? ""));
    else pending.resolve(message.return);
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new QmpClosedError(`QMP connection closed during ${pending.command}`));
    }
    this.pending.clear();
    this.emit("close");
  }
}

function splitOnce(text: string): [string, string] {
  const index = text.indexOf("\n");
  return [text.slice(0, index), text.slice(index + 1)];
}
