export type {
  BackoffOptions,
  Clock,
  ControllerHooks,
  ControllerOptions,
  ReconcileResult,
  Reconciler,
  Source,
} from "./types.js";
// Controller: start(), enqueue(key), enqueueAfter(key, ms), addSource(source), depth(), stop(): Promise<void>.
export { Controller } from "./controller.js";
export { TerminalError } from "./terminal-error.js";
export { FakeClock, systemClock } from "./clock.js";
// storeSource(collection): enqueues the id of every watch event; on "resync" enqueues every id.
export { storeSource } from "./store-source.js";
// intervalSource(ms, clock?): calls enqueueAll every ms.
export { intervalSource } from "./interval-source.js";
