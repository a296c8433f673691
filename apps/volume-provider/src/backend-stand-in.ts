import { BackendUnavailableError, type VolumeBackend } from "@iri/backend-api";

/**
 * A volume backend whose calls wait for the real one to open: the provider serves from its store while the
 * backend's opening (cluster calls, seconds under load) is still running. A failed opening fails every call.
 * `capacityGroup` is synchronous: until the backend is open it throws BackendUnavailableError (admission
 * waits, Status reports the capacity as not read yet).
 */
export function volumeBackendStandIn(name: string, opening: Promise<VolumeBackend>): VolumeBackend {
  let opened: VolumeBackend | undefined;
  opening.then(
    (backend) => {
      opened = backend;
    },
    () => undefined,
  );
  return {
    name,
    apply: async (intent, ctx) => (await opening).apply(intent, ctx),
    remove: async (ref) => (await opening).remove(ref),
    applySnapshot: async (intent, ctx) => (await opening).applySnapshot(intent, ctx),
    removeSnapshot: async (ref) => (await opening).removeSnapshot(ref),
    listOwned: async () => (await opening).listOwned(),
    capacity: async (cls) => (await opening).capacity(cls),
    capacityGroup: (cls) => {
      if (!opened) throw new BackendUnavailableError(`the ${name} backend is still opening`);
      return opened.capacityGroup(cls);
    },
    close: async () => (await opening).close(),
  };
}
