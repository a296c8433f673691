import { QmpClient, type QmpEvent } from "./qmp-client.js";

export interface QmpConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** Called with the machine id on every event of interest and when a connection closes (QEMU exited). */
  readonly onChange: (machineId: string, event: QmpEvent | undefined) => void;
}

/** Events after which a machine's actual state differs from what the last reconcile saw. */
const WATCHED_EVENTS = new Set(["SHUTDOWN", "DEVICE_DELETED", "RESET", "STOP", "RESUME"]);

/**
 * One QMP connection per running machine, kept open so that QEMU's events (a guest shutting down, a device
 * the guest released) reach the reconciler at once. QEMU serves one QMP client per socket; a provider that
 * was killed loses its connections with its process, and the next one connects again.
 */
export class QmpConnections {
  private readonly clients = new Map<string, Promise<QmpClient>>();

  constructor(private readonly options: QmpConnectionOptions) {}

  get(machineId: string, socketPath: string): Promise<QmpClient> {
    const existing = this.clients.get(machineId);
    if (existing) return existing;
    const connecting = QmpClient.connect(socketPath, {
      timeoutMs: this.options.connectTimeoutMs,
      commandTimeoutMs: this.options.commandTimeoutMs,
    }).then(
      (client) => {
        client.on("event", (event) => {
          if (WATCHED_EVENTS.has(event.event)) this.options.onChange(machineId, event);
        });
        client.once("close", () => {
          if (this.clients.get(machineId) === connecting) this.clients.delete(machineId);
          this.options.onChange(machineId, undefined);
        });
        return client;
      },
      (error: unknown) => {
        this.clients.delete(machineId);
        throw error;
      },
    );
    this.clients.set(machineId, connecting);
    return connecting;
  }

  /** Closes a machine's connection (it is being stopped or removed). */
  async drop(machineId: string): Promise<void> {
    const client = this.clients.get(machineId);
    this.clients.delete(machineId);
    if (client) (await client.catch(() => undefined))?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((id) => this.drop(id)));
  }
}
