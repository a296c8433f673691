import { systemClock } from "./clock.js";
import type { Clock, Source } from "./types.js";

/**
 * Enqueues every key (the controller's `listKeys`) every `ms`, starting `ms` after start: a safety net for
 * state that changes without an event, e.g. a VM that died behind the provider's back.
 */
export function intervalSource(ms: number, clock: Clock = systemClock): Source {
  if (!(ms > 0)) throw new RangeError("intervalSource: ms must be > 0");
  return {
    start(_enqueue, enqueueAll) {
      let stopped = false;
      let handle: unknown;
      const arm = () => {
        handle = clock.setTimeout(() => {
          arm();
          enqueueAll();
        }, ms);
      };
      arm();
      return () => {
        if (stopped) return;
        stopped = true;
        clock.clearTimeout(handle);
      };
    },
  };
}
