// Timing for runs against the in-memory reference runtimes, which settle within milliseconds.
export const FAST_TIMING = { timeoutMs: 2_000, pollIntervalMs: 10, stableGapMs: 30, rpcTimeoutMs: 2_000 };
