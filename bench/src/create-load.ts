// Concurrent CreateMachine callers, each awaiting its own call before the next: the way a poollet with many
// workers loads a provider (one HTTP/2 connection, calls multiplexed on it).
import type { Client } from "@connectrpc/connect";
import type { machine } from "@iri/api";
import { poolletMachine } from "./poollet-machine.js";

export interface CreateLoadResult {
  /** Ids of the machines whose create was acknowledged (answered OK). */
  acknowledged: string[];
  failures: number;
  firstFailure?: string;
  /** From the first call to the last answer, including calls in flight when the run ended. */
  elapsedMs: number;
}

export interface CreateLoadOptions {
  callers: number;
  /** Stop issuing calls after this many were started (the list setup) ... */
  total?: number;
  /** ... or after this long (the durable-creates run). */
  durationMs?: number;
  /** Stop at the first failure instead of counting and going on. */
  failFast?: boolean;
}

export async function runCreateLoad(
  client: Client<typeof machine.MachineRuntime>,
  options: CreateLoadOptions,
): Promise<CreateLoadResult> {
  const acknowledged: string[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let started = 0;
  const start = performance.now();
  const stopAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : start + options.durationMs;
  const total = options.total ?? Number.POSITIVE_INFINITY;
  // Requests are built just in time, as a poollet builds them; one costs microseconds against a create's
  // milliseconds, so the client side does not bound the rate.
  const caller = async () => {
    while (started < total && performance.now() < stopAt && !(options.failFast && failures > 0)) {
      const request = poolletMachine(started++);
      try {
        const res = await client.createMachine(request);
        const id = res.machine?.metadata?.id;
        if (!id) throw new Error("CreateMachine answered without metadata.id");
        acknowledged.push(id);
      } catch (err) {
        failures++;
        firstFailure ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.callers }, caller));
  const result: CreateLoadResult = { acknowledged, failures, elapsedMs: performance.now() - start };
  if (firstFailure !== undefined) result.firstFailure = firstFailure;
  return result;
}
