import {
  type ApplyOutcome,
  BackendUnavailableError,
  type CreationTag,
  type EventType,
  type NotDone,
  type ObjectRef,
  type OperationContext,
  type OwnedResource,
  PermanentBackendError,
  type RemoveOutcome,
} from "@iri/backend-api";
import type { ReconcileResult } from "@iri/reconcile";
import type { Collection, StoredRecord } from "@iri/store";
import type { EventRecorder } from "../events.js";
import type { Logger } from "../logging.js";
import { type BackendStateCollection, putBackendState } from "./backend-state.js";

export interface Note {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export interface ObjectReconcilerOptions<Spec, Status, Observation> {
  /** e.g. "machine"; used in logs. */
  kind: string;
  collection: Collection<Spec, Status>;
  states: BackendStateCollection;
  /** Held by every record until the backend has released it. */
  finalizer: string;
  events: EventRecorder;
  logger: Logger;
  /** A new creation tag (the store's high-water mark raised and committed). */
  nextTag(): Promise<CreationTag>;
  /** Calls the backend for a live record. */
  apply(
    record: StoredRecord<Spec, Status>,
    ctx: OperationContext<Observation>,
  ): Promise<ApplyOutcome<Observation>>;
  remove(ref: ObjectRef): Promise<RemoveOutcome>;
  /** The status to store for an observation made while realising `generation`. */
  toStatus(record: StoredRecord<Spec, Status>, observation: Observation, generation: bigint): Status;
  /** The observation the stored status stands for (handed back as lastObservation); undefined before one. */
  fromStatus(record: StoredRecord<Spec, Status>): Observation | undefined;
  statusEquals(a: Status, b: Status): boolean;
  /** The status of a permanent failure (the runtime's ERROR state); undefined leaves the status alone. */
  failedStatus?(record: StoredRecord<Spec, Status>, failure: Note): Status | undefined;
  /** The status once deletion has started (machines: TERMINATING); undefined leaves it. */
  deletingStatus?(record: StoredRecord<Spec, Status>): Status | undefined;
  /** An event for a change of status (e.g. "Available"), recorded once per transition. */
  transition?(before: Status, after: Status): Note | undefined;
  /** A permanent failure is tried again after this long even without a spec change. Default 15 min. */
  retryFailedAfterMs?: number;
  /** Milliseconds since the epoch; tests pin it. */
  now?: () => number;
}

export interface ObjectReconciler {
  reconcile(id: string, signal: AbortSignal): Promise<ReconcileResult | undefined>;
  /** Every key the controller must visit: records, leftover backend state, orphans cleared for removal. */
  listKeys(): string[];
  /** Orphans the provider may remove (set by the orphan pass); each is reconciled away. */
  setRemovableOrphans(orphans: readonly OwnedResource[]): string[];
  /** Stops watching for deletions. */
  close(): void;
}

/**
 * The one reconciler pattern of every provider: drives a record through a backend and writes what it
 * observed, with a finalizer for deletion, notes (events) recorded once per transition instead of once per
 * retry, a sticky ERROR tied to the generation, "not done yet" results that requeue instead of holding a
 * worker, in-flight work aborted when its object is deleted, and backend state (placement) kept beside the
 * record.
 */
export function objectReconciler<Spec, Status, Observation>(
  options: ObjectReconcilerOptions<Spec, Status, Observation>,
): ObjectReconciler {
  const { collection, states, events, logger, kind } = options;
  const retryFailedAfterMs = options.retryFailedAfterMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  /** The last note per object, so that a retry repeating it records nothing. */
  const lastNote = new Map<string, string>();
  /** Aborts an object's running apply when the object is deleted. */
  const inFlight = new Map<string, AbortController>();
  const orphans = new Map<string, OwnedResource>();

  const unwatch = collection.watch((event) => {
    if (event.type === "resync") return;
    const { id } = event.record.metadata;
    const deleted =
      event.type === "deleted" ||
      (event.type === "modified" &&
        event.previous.metadata.deletedAt === 0n &&
        event.record.metadata.deletedAt !== 0n);
    if (deleted) inFlight.get(id)?.abort(new Error(`${kind} ${id} is being deleted`));
    if (event.type === "deleted") lastNote.delete(id);
  });

  function note(id: string, n: Note, action: string) {
    const key = `${n.type}/${n.reason}/${n.message}`;
    if (lastNote.get(id) === key) return;
    lastNote.set(id, key);
    const record = collection.get(id);
    events.record({
      // An orphan has no record: the event is listed by its id alone.
      involved: record?.metadata ?? { id, labels: {} },
      type: n.type,
      reason: n.reason,
      action,
      message: n.message,
    });
  }

  async function writeStatus(record: StoredRecord<Spec, Status>, status: Status): Promise<void> {
    if (options.statusEquals(record.status, status)) return;
    const written = collection.mutate(record.metadata.id, (current) =>
      options.statusEquals(current.status, status) ? undefined : { status },
    );
    // Recorded in the same loop turn as the status write (and the backend state beside it), so that all of
    // them share one group commit: one fsync per reconcile, not two.
    const t = options.transition?.(record.status, status);
    if (t) note(record.metadata.id, t, "Reconcile");
    await written;
  }

  function waiting(id: string, notDone: NotDone, action: string): ReconcileResult {
    const type = notDone.blocked ? "Warning" : "Normal";
    note(id, { type, reason: notDone.reason, message: notDone.message }, action);
    return { requeueAfterMs: notDone.afterMs };
  }

  function refFor(id: string, signal: AbortSignal, action: string): ObjectRef {
    return {
      id,
      placement: states.get(id)?.spec.placement ?? orphans.get(id)?.placement,
      signal,
      event: (type, reason, message) => note(id, { type, reason, message }, action),
    };
  }

  /** Tears down the backend side; the record (if any) goes once nothing is left. */
  async function teardown(id: string, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const outcome = await options.remove(refFor(id, signal, "Delete"));
    if (outcome) return waiting(id, outcome, "Delete");
    if (states.get(id)) await states.forceRemove(id);
    orphans.delete(id);
    await collection.removeFinalizer(id, options.finalizer);
    lastNote.delete(id);
    return undefined;
  }

  async function applyLive(
    record: StoredRecord<Spec, Status>,
    signal: AbortSignal,
  ): Promise<ReconcileResult | undefined> {
    const id = record.metadata.id;
    let state = states.get(id)?.spec ?? {};
    const tag = state.tag ?? (await options.nextTag());
    if (state.tag === undefined) {
      // Committed before the backend can create anything, so that every resource's tag is one this store knows.
      state = { ...state, tag };
      await putBackendState(states, id, state);
    }
    const generation = record.metadata.generation;
    const failure = state.failure;
    if (failure && failure.generation === String(generation)) {
      const wait = failure.atMs + retryFailedAfterMs - now();
      if (wait > 0) return { requeueAfterMs: wait };
    }
    const abort = new AbortController();
    inFlight.set(id, abort);
    const ctx: OperationContext<Observation> = {
      signal: AbortSignal.any([signal, abort.signal]),
      generation,
      lastObservation: options.fromStatus(record),
      placement: state.placement,
      tag,
      event: (type, reason, message) => note(id, { type, reason, message }, "Reconcile"),
      report: async (observation) => {
        const current = collection.get(id);
        if (current && current.metadata.deletedAt === 0n) {
          await writeStatus(current, options.toStatus(current, observation, generation));
        }
      },
    };
    let outcome: ApplyOutcome<Observation>;
    try {
      outcome = await options.apply(record, ctx);
    } catch (err) {
      if (abort.signal.aborted) return undefined; // deleted meanwhile: the deletion is reconciled next
      if (err instanceof PermanentBackendError) {
        await putBackendState(states, id, {
          ...state,
          failure: { generation: String(generation), reason: err.reason, message: err.message, atMs: now() },
        });
        const failure: Note = { type: "Warning", reason: err.reason, message: err.message };
        note(id, failure, "Reconcile");
        const current = collection.get(id);
        const failed = current && options.failedStatus?.(current, failure);
        if (current && failed) await writeStatus(current, failed);
        logger.warn(
          { kind, id, reason: err.reason, error: err.message },
          "backend failed for good at this generation",
        );
        return { requeueAfterMs: retryFailedAfterMs };
      }
      const reason = err instanceof BackendUnavailableError ? "BackendUnavailable" : "ReconcileFailed";
      note(id, { type: "Warning", reason, message: errorMessage(err) }, "Reconcile");
      throw err;
    } finally {
      if (inFlight.get(id) === abort) inFlight.delete(id);
    }
    const next = { ...state };
    if (outcome.placement) next.placement = outcome.placement;
    delete next.failure;
    const current = collection.get(id);
    // Issued together, so that both writes share one group commit.
    await Promise.all([
      putBackendState(states, id, next),
      current && current.metadata.deletedAt === 0n
        ? writeStatus(current, options.toStatus(current, outcome.observation, generation))
        : undefined,
    ]);
    if (outcome.notDone) return waiting(id, outcome.notDone, "Reconcile");
    return undefined;
  }

  return {
    async reconcile(id, signal) {
      const record = collection.get(id);
      if (record === undefined) {
        // No record: backend state left behind, or an orphan the orphan pass cleared for removal.
        if (states.get(id) === undefined && !orphans.has(id)) return undefined;
        return teardown(id, signal);
      }
      if (record.metadata.deletedAt !== 0n) {
        const deleting = options.deletingStatus?.(record);
        if (deleting) await writeStatus(record, deleting);
        return teardown(id, signal);
      }
      return applyLive(record, signal);
    },
    listKeys() {
      const keys = new Set<string>();
      for (const r of collection.list()) keys.add(r.metadata.id);
      for (const s of states.list()) keys.add(s.metadata.id);
      for (const id of orphans.keys()) keys.add(id);
      return [...keys];
    },
    setRemovableOrphans(list) {
      orphans.clear();
      for (const o of list) if (!collection.get(o.id)) orphans.set(o.id, o);
      return [...orphans.keys()];
    },
    close: unwatch,
  };
}

const MAX_NOTE_MESSAGE = 500;

function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length <= MAX_NOTE_MESSAGE ? message : `${message.slice(0, MAX_NOTE_MESSAGE)}…`;
}
