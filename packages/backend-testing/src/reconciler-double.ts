import { setTimeout as sleep } from "node:timers/promises";
import type { ApplyOutcome, ObjectRef, OperationContext, Placement, RemoveOutcome } from "@iri/backend-api";
import type { TestBackendContext } from "./test-backend-context.js";

/** One kind of object of a backend: a volume backend has two (volumes, snapshots). */
export interface ObjectKind<Intent extends { readonly id: string }, Observation> {
  apply(intent: Intent, ctx: OperationContext<Observation>): Promise<ApplyOutcome<Observation>>;
  remove(ref: ObjectRef): Promise<RemoveOutcome>;
}

interface Record<Observation> {
  placement: Placement | undefined;
  lastObservation: Observation | undefined;
}

/**
 * Calls a backend the way the provider's reconciler does: keeps each object's placement (pinned once reported)
 * and last observation, hands them back on every later call, and calls again after a NotDone.
 */
export class ReconcilerDouble<Intent extends { readonly id: string }, Observation> {
  private readonly records = new Map<string, Record<Observation>>();

  constructor(
    private kind: ObjectKind<Intent, Observation>,
    private readonly context: TestBackendContext,
  ) {}

  /** The provider restarted: the same records, a backend opened anew. */
  restartWith(kind: ObjectKind<Intent, Observation>): void {
    this.kind = kind;
  }

  async apply(intent: Intent, signal?: AbortSignal): Promise<ApplyOutcome<Observation>> {
    const record = this.records.get(intent.id) ?? { placement: undefined, lastObservation: undefined };
    this.records.set(intent.id, record);
    const ctx = this.context.operation<Observation>(intent.id, {
      observation: record.lastObservation,
      placement: record.placement,
      ...(signal ? { signal } : {}),
    });
    const outcome = await this.kind.apply(intent, {
      ...ctx,
      report: async (observation) => {
        record.lastObservation = observation;
      },
    });
    record.lastObservation = outcome.observation;
    if (outcome.placement && !record.placement) record.placement = { ...outcome.placement };
    return outcome;
  }

  /** Applies until the outcome has no NotDone, waiting as asked in between; throws after `timeoutMs`. */
  async applyUntilDone(intent: Intent, timeoutMs = 60_000): Promise<Observation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const outcome = await this.apply(intent);
      if (!outcome.notDone) return outcome.observation;
      if (Date.now() > deadline) {
        throw new Error(`${intent.id} not done within ${timeoutMs} ms: ${outcome.notDone.message}`);
      }
      await sleep(Math.min(outcome.notDone.afterMs, 500));
    }
  }

  async remove(id: string, signal?: AbortSignal): Promise<RemoveOutcome> {
    const outcome = await this.kind.remove(this.context.ref(id, this.records.get(id)?.placement, signal));
    if (outcome === undefined) this.records.delete(id);
    return outcome;
  }

  /** Removes until the backend says everything is gone; throws after `timeoutMs`. */
  async removeUntilDone(id: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const outcome = await this.remove(id);
      if (outcome === undefined) return;
      if (Date.now() > deadline)
        throw new Error(`${id} not removed within ${timeoutMs} ms: ${outcome.message}`);
      await sleep(Math.min(outcome.afterMs, 500));
    }
  }

  placementOf(id: string): Placement | undefined {
    return this.records.get(id)?.placement;
  }
}
