import type { TestBackendContext } from "./test-backend-context.js";

/** What every contract suite needs to know about the backend it runs against. */
export interface BackendUnderTest<Backend> {
  /** Names the suite, e.g. "noop" or "ceph-rbd on the loopback cluster". */
  readonly name: string;
  /**
   * Opens the backend on `context`; called again with the same context to model a provider restart (the
   * backend must find what it made from its state directory and the backend itself).
   */
  open(context: TestBackendContext): Promise<Backend>;
  /**
   * Whether listOwned returns the creation tag apply was given. A backend that keeps none has its orphans
   * quarantined, never removed (the file example); every production backend keeps it.
   */
  readonly keepsCreationTags: boolean;
  /** How long one object may take to converge or go (default 60 s; QEMU under TCG needs more). */
  readonly timeoutMs?: number;
}

/** A fresh object id for one case, unique across parallel runs. */
export function newObjectId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
