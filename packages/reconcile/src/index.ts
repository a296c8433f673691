export { FakeClock, systemClock } from "./clock.js";
// Controller: start(), enqueue(key), enqueueAfter(key, ms), enqueueAll(), addSource(source), depth(),
// stop(): Promise<void>.
export { Controller } from "./controller.js";
// intervalSource(ms, clock?): calls enqueueAll every ms.
export { intervalSource } from "./interval-source.js";
// storeSource(collection): enqueues every id on start and the id of every watch event; on "resync" enqueues
// every id in the collection and calls enqueueAll.
export type { ChangeFilter } from "./store-source.js";
export { specOrDeletionChanged, storeSource } from "./store-source.js";
export { TerminalError } from "./terminal-error.js";
export type {
  BackoffOptions,
  Clock,
  ControllerHooks,
  ControllerOptions,
  ReconcileResult,
  Reconciler,
  Source,
} from "./types.js";
