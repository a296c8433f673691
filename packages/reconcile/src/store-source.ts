import type { Collection, StoredRecord } from "@iri/store";
import type { Source } from "./types.js";

/** Decides whether a modification of a record needs a reconcile. */
export type ChangeFilter<Spec, Status> = (
  previous: StoredRecord<Spec, Status>,
  next: StoredRecord<Spec, Status>,
) => boolean;

/**
 * The default filter (controller-runtime's generation-changed predicate, plus deletion and labels): a
 * reconciler's own status writes do not enqueue the record again, so an observation that changes on every
 * call cannot turn into a hot loop, and a requested requeue delay is honoured.
 */
function specOrDeletionChanged(
  previous: StoredRecord<unknown, unknown>,
  next: StoredRecord<unknown, unknown>,
): boolean {
  const a = previous.metadata;
  const b = next.metadata;
  return a.generation !== b.generation || a.deletedAt !== b.deletedAt || a.labels !== b.labels;
}

/**
 * Enqueues the id of every record a store collection reports as added or deleted, of every modification the
 * filter lets through (default: spec, deletion or labels changed; status-only writes are ignored), and on
 * start every id it holds, so a restarted provider reconciles all it has.
 *
 * A "resync" event means the watcher lost events. Every id still in the collection is enqueued, and so is
 * every key of the controller (`enqueueAll`): a lost "deleted" event leaves no id in the collection, and only
 * `listKeys` (which may list what the backend still has) can bring such a key back for clean-up.
 */
export function storeSource<Spec, Status>(
  collection: Pick<Collection<Spec, Status>, "watch" | "list">,
  filter: ChangeFilter<Spec, Status> = specOrDeletionChanged,
): Source {
  return {
    start(enqueue, enqueueAll) {
      const enqueueStored = () => {
        for (const record of collection.list()) enqueue(record.metadata.id);
      };
      // Watch before listing, so a write between the two is seen by one or the other.
      const unwatch = collection.watch((event) => {
        if (event.type === "resync") {
          enqueueStored();
          enqueueAll();
        } else if (event.type !== "modified" || filter(event.previous, event.record)) {
          enqueue(event.record.metadata.id);
        }
      });
      enqueueStored();
      return unwatch;
    },
  };
}
