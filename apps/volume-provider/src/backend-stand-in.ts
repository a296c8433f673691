import type { VolumeBackend } from "@iri/backend-api";

/**
 * A volume backend whose calls wait for the real one to open: the provider serves from its store while the
 * backend's opening (cluster calls, seconds under load) is still running. A failed opening fails every call.
 */
export function volumeBackendStandIn(name: string, opening: Promise<VolumeBackend>): VolumeBackend {
  return {
    name,
    apply: async (intent, ctx) => (await opening).apply(intent, ctx),
    remove: async (ref) => (await opening).remove(ref),
    applySnapshot: async (intent, ctx) => (await opening).applySnapshot(intent, ctx),
    removeSnapshot: async (ref) => (await opening).removeSnapshot(ref),
    listOwned: async () => (await opening).listOwned(),
    capacity: async (cls) => (await opening).capacity(cls),
    close: async () => (await opening).close(),
  };
}
