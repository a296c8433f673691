import type { BackoffOptions } from "./types.js";

export const defaultBackoff: Required<BackoffOptions> = { baseMs: 200, maxMs: 60_000, jitter: 0.2 };

/**
 * Delay before retry number `attempt` (1 for the first retry): baseMs * 2^(attempt-1), capped at maxMs, then
 * spread by ±jitter. The cap applies before the spread so that many keys failing at the cap still retry at
 * different moments instead of in lock-step.
 */
export function backoffDelay(
  attempt: number,
  options: Required<BackoffOptions>,
  random: () => number,
): number {
  // The exponent is bounded so the product stays finite; any bigger value is far past every sane cap.
  const exponential = options.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52);
  const capped = Math.min(exponential, options.maxMs);
  const spread = options.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(capped * (1 + spread)));
}
