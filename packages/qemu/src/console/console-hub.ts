import { createConnection, type Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * Guest output held for one session that does not read (a stopped exec client): beyond it, that session
 * misses output instead of growing the provider's memory; the console log keeps everything.
 */
export const SESSION_BUFFER_BYTES = 256 * 1024;

/**
 * Shares one machine's serial console among any number of sessions. QEMU's socket chardev serves one
 * client at a time, so the hub holds the single connection, copies guest output to every session and
 * forwards every session's input to the guest. The connection is opened with the first session and closed
 * with the last; QEMU's console log file keeps what the guest printed while nobody watched.
 */
export class ConsoleHub {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly sessions = new Set<Duplex>();

  constructor(private readonly socketPath: string) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** A new session; it ends when the guest's console goes away (QEMU exits) or `signal` aborts. */
  async open(signal: AbortSignal): Promise<Duplex> {
    const socket = await this.connect();
    const session = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (socket.destroyed) callback(new Error("the console is closed"));
        else socket.write(chunk, callback);
      },
      destroy: (error, callback) => {
        this.sessions.delete(session);
        if (this.sessions.size === 0) this.disconnect();
        callback(error);
      },
    });
    this.sessions.add(session);
    const onAbort = () => session.destroy();
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    session.once("close", () => signal.removeEventListener("abort", onAbort));
    return session;
  }

  /** Ends every session (the machine is being removed). */
  close(): void {
    for (const session of this.sessions) session.destroy();
    this.disconnect();
  }

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(this.socketPath);
      socket.once("connect", () => {
        this.socket = socket;
        resolve(socket);
      });
      // After connecting, errors end the socket and "close" ends the sessions.
      socket.on("error", (error) => {
        if (this.socket !== socket) reject(error);
      });
      socket.on("data", (chunk: Buffer) => {
        for (const session of this.sessions) {
          if (session.readableLength < SESSION_BUFFER_BYTES) session.push(chunk);
        }
      });
      socket.on("close", () => {
        if (this.socket === socket) this.socket = undefined;
        for (const session of this.sessions) session.push(null);
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private disconnect(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
