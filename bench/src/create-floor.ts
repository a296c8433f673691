// The same-run floor of durable-creates: the bench's create load against create-floor-worker.ts, a bare
// connect-node server that decodes CreateMachine and answers. What the host allows the gRPC part of a create
// (the client, HTTP/2, connect, protobuf) when nothing else happens.
import { once } from "node:events";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { runCreateLoad } from "./create-load.js";
import type { BenchOptions } from "./options.js";

export interface CreateFloorMeasurement {
  perSecond: number;
  /** CPU time of the floor server's thread per create, in milliseconds. */
  serverCpuMsPerCreate: number;
  /** CPU time of the bench's client per create against the floor, in milliseconds. */
  clientCpuMsPerCreate: number;
}

export async function measureCreateFloor(
  options: BenchOptions,
  dir: string,
): Promise<CreateFloorMeasurement> {
  const socketPath = join(dir, "create-floor.sock");
  const worker = new Worker(new URL("./create-floor-worker.js", import.meta.url), { workerData: socketPath });
  try {
    const [message] = await once(worker, "message");
    if (message !== "listening") throw new Error(`create floor: unexpected ${String(message)}`);
    const cpuBefore = await worker.cpuUsage();
    const load = await runCreateLoad(socketPath, {
      callers: options.callers,
      durationMs: options.createSeconds * 1000,
    });
    const cpu = await worker.cpuUsage(cpuBefore);
    if (load.failures > 0) throw new Error(`create floor: ${load.firstFailure}`);
    const creates = load.acknowledged.length;
    return {
      perSecond: (creates * 1000) / load.elapsedMs,
      serverCpuMsPerCreate: (cpu.user + cpu.system) / 1000 / creates,
      clientCpuMsPerCreate: load.clientCpuMsPerCreate,
    };
  } finally {
    worker.postMessage("close");
    await Promise.race([once(worker, "message"), new Promise((r) => setTimeout(r, 2000))]);
    await worker.terminate();
  }
}
