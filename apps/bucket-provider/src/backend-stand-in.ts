import type { BucketBackend } from "@iri/backend-api";

/**
 * A bucket backend whose calls wait for the real one to open: the provider serves from its store while the
 * backend loads its code and checks the store's admin key (seconds on a loaded host). Every backend call is
 * a reconciler's, never a gRPC handler's, so no answer waits for it. A failed opening fails every call and
 * stops the provider (the host's `failed`).
 */
export function bucketBackendStandIn(name: string, opening: Promise<BucketBackend>): BucketBackend {
  return {
    name,
    apply: async (intent, ctx) => (await opening).apply(intent, ctx),
    remove: async (ref) => (await opening).remove(ref),
    listOwned: async () => (await opening).listOwned(),
    close: async () => (await opening).close(),
  };
}
