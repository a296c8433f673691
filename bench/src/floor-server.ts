// Starts and stops the floor server (floor-worker.ts) on its own unix socket.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import type { RawResponse } from "./raw-grpc.js";

export interface FloorConfig {
  socketPath: string;
  /** The one gRPC method path it answers, e.g. /machine.v1alpha1.MachineRuntime/ListMachines. */
  path: string;
  response: RawResponse;
}

export interface FloorServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function startFloorServer(config: FloorConfig): Promise<FloorServer> {
  const worker = new Worker(new URL("./floor-worker.js", import.meta.url), { workerData: config });
  await new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (message) =>
      message === "listening" ? resolve() : reject(new Error(`floor server: unexpected ${String(message)}`)),
    );
  });
  // A floor that dies mid-run fails the timed calls against it; the bench reports those.
  worker.on("error", () => {});
  return {
    address: `unix://${config.socketPath}`,
    async close() {
      worker.postMessage("close");
      await Promise.race([once(worker, "message"), new Promise((r) => setTimeout(r, 2000))]);
      await worker.terminate();
    },
  };
}
