// The status probe's thread (status-probe.ts): one status call after another on its own connection until
// told to stop, then the latencies.

import { parentPort, workerData } from "node:worker_threads";
import { bucket, createRuntimeClient, machine, volume } from "@iri/api";

export interface ProbeConfig {
  runtime: "machine" | "volume" | "bucket";
  address: string;
  /** Milliseconds between calls (0: back to back). */
  pauseMs?: number;
}

export interface ProbeResult {
  latencies: number[];
  error?: string;
}

const config = workerData as ProbeConfig;

/** The call a poollet makes on each pool sync: Status, or ListBucketClasses (the bucket runtime has no Status). */
function statusCall(): () => Promise<unknown> {
  switch (config.runtime) {
    case "machine": {
      const client = createRuntimeClient(machine.MachineRuntime, config.address);
      return () => client.status({});
    }
    case "volume": {
      const client = createRuntimeClient(volume.VolumeRuntime, config.address);
      return () => client.status({});
    }
    case "bucket": {
      const client = createRuntimeClient(bucket.BucketRuntime, config.address);
      return () => client.listBucketClasses({});
    }
  }
}

let stopped = false;
const stop = new Promise<void>((resolve) =>
  parentPort?.once("message", () => {
    stopped = true;
    resolve();
  }),
);
const call = statusCall();
const latencies: number[] = [];
let error: string | undefined;
while (!stopped) {
  const start = performance.now();
  try {
    await call();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    break;
  }
  latencies.push(performance.now() - start);
  if ((config.pauseMs ?? 0) > 0 && !stopped)
    await new Promise((resolve) => setTimeout(resolve, config.pauseMs));
}
// Stopped or failed: the answer comes after the stop either way, when the parent waits for it.
await stop;
parentPort?.postMessage({ latencies, ...(error === undefined ? {} : { error }) } satisfies ProbeResult);
