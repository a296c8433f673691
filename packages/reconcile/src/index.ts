// Controller: start(), enqueue(key), enqueueAfter(key, ms), enqueueAll(), addSource(source), depth(),
// stop(): Promise<void>.
export { Controller } from "./controller.js";
// storeSource(collection): enqueues every id on start and the id of every watch event; on "resync" enqueues
// every id in the collection and calls enqueueAll.
export type { ChangeFilter } from "./store-source.js";
export { storeSource } from "./store-source.js";
export type {
  BackoffOptions,
  Clock,
  ControllerHooks,
  ControllerOptions,
  ReconcileResult,
  Reconciler,
  Source,
} from "./types.js";
