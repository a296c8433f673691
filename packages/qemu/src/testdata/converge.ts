import { setTimeout as sleep } from "node:timers/promises";
import type { ApplyOutcome, MachineBackend, MachineObservation } from "@iri/backend-api";
import type { TestBackendContext } from "@iri/backend-testing";

/** Calls `step` like the reconciler would (again after notDone.afterMs) until it converges or the deadline. */
export async function converge(
  step: () => Promise<ApplyOutcome<MachineObservation>>,
  timeoutMs = 60_000,
): Promise<MachineObservation> {
  const deadline = Date.now() + timeoutMs;
  let last: ApplyOutcome<MachineObservation> | undefined;
  while (Date.now() < deadline) {
    last = await step();
    if (!last.notDone) return last.observation;
    await sleep(Math.min(last.notDone.afterMs, 500));
  }
  throw new Error(`not converged within ${timeoutMs} ms: ${last?.notDone?.reason} ${last?.notDone?.message}`);
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Removes a machine like the reconciler would (again after each NotDone) until it is gone. */
export async function removeMachine(
  backend: MachineBackend,
  context: TestBackendContext,
  id: string,
): Promise<void> {
  await converge(async () => ({
    observation: undefined as never,
    notDone: await backend.remove(context.ref(id)),
  }));
}
