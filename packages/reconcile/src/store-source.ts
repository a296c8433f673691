import type { Collection } from "@iri/store";
import type { Source } from "./types.js";

/**
 * Enqueues the id of every record a store collection reports as added, modified or deleted, and on start
 * every id it holds, so a restarted provider reconciles all it has.
 *
 * A "resync" event means the watcher lost events. Every id still in the collection is enqueued, and so is
 * every key of the controller (`enqueueAll`): a lost "deleted" event leaves no id in the collection, and only
 * `listKeys` (which may list what the backend still has) can bring such a key back for clean-up.
 */
export function storeSource<Spec, Status>(
  collection: Pick<Collection<Spec, Status>, "watch" | "list">,
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
        } else {
          enqueue(event.record.metadata.id);
        }
      });
      enqueueStored();
      return unwatch;
    },
  };
}
