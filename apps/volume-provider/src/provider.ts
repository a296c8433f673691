import { fileURLToPath } from "node:url";
import { PermanentBackendError, type VolumeBackend } from "@iri/backend-api";
import {
  type AnyBackendFactory,
  loadClassFile,
  type ProviderHost,
  packageVersion,
  type SettingValues,
  startProviderHost,
  trackObjectCount,
} from "@iri/runtime-kit";
import { volumeBackendStandIn } from "./backend-stand-in.js";
import { volumeBackends } from "./backends.js";
import { snapshotReconcilerOptions } from "./reconcile/snapshot-reconciler.js";
import { volumeReconcilerOptions } from "./reconcile/volume-reconciler.js";
import type { VolumeServerContext } from "./server/context.js";
import { registerVolumeRuntime } from "./server/volume-runtime.js";
import type { volumeSettings } from "./settings.js";
import { volumeCapacity } from "./volume-capacity.js";
import { openSnapshotCollection, openVolumeCollection } from "./volume-store.js";

export type VolumeProviderSettings = SettingValues<typeof volumeSettings>;

/** runtime_version in Version: the app package's version. */
const RUNTIME_VERSION = packageVersion(new URL("../package.json", import.meta.url));
const CAPACITY_REFRESH_MS = 60_000;
const defaultClassFile = fileURLToPath(new URL("../config/volume-classes.json", import.meta.url));

/**
 * Wires store, backend, reconcilers and the gRPC service; resolves once the provider serves. `backends` are
 * the app's own; a backend under development can be run in the real provider by passing it instead.
 */
export async function startVolumeProvider(
  settings: VolumeProviderSettings,
  backends: readonly AnyBackendFactory<VolumeBackend>[] = volumeBackends,
): Promise<ProviderHost> {
  const classes = loadClassFile(settings.classFile || defaultClassFile);
  // The backend's opening, once the host hands it to the stand-in: capacity readings wait for it (a class
  // naming a pool the backend does not serve must still stop the provider; a first Status waits for it).
  let opening: Promise<unknown> = Promise.resolve();
  return startProviderHost({
    name: "volume-provider",
    settings,
    backends,
    // Serving after a restart must not wait for the cluster: every answer comes from the store (Status
    // reports a capacity not read yet as Unavailable, creates wait for the first reading); reconciles wait.
    standIn: (backendOpening) => {
      opening = backendOpening;
      return volumeBackendStandIn(settings.backend, backendOpening);
    },
    async setup({
      db,
      events,
      metrics,
      logger,
      backend,
      kek,
      backendStates,
      objectController,
      routeBackend,
    }) {
      const volumes = openVolumeCollection(db, kek);
      const snapshots = openSnapshotCollection(db);
      trackObjectCount(metrics, "volume", volumes);
      trackObjectCount(metrics, "volume_snapshot", snapshots);
      // Each kind's reconciler reads where the other's objects live: a restore its snapshot's, a snapshot
      // its volume's. Opened first, so that neither controller has to exist before the other.
      const volumeStates = backendStates("volume");
      const snapshotStates = backendStates("volume_snapshot");
      const volumeKind = objectController(
        volumeReconcilerOptions({ volumes, snapshots, snapshotStates, classes, backend }),
      );
      const snapshotKind = objectController(
        snapshotReconcilerOptions({ snapshots, volumes, volumeStates, backend }),
      );
      routeBackend({
        find: (id) => volumes.get(id) ?? snapshots.get(id),
        notify: (id) => {
          if (volumes.get(id)) volumeKind.controller.enqueue(id);
          if (snapshots.get(id)) snapshotKind.controller.enqueue(id);
        },
      });
      const capacity = volumeCapacity(classes, volumes, backend, settings.overprovisioningPercent, {
        backendOpen: () => opening,
      });
      // Without a reading nothing can be admitted: read now (not waited for: serving comes first), and
      // again every minute (and on every Status).
      const capacityUnknown = (err: unknown) =>
        logger.warn({ error: (err as Error).message }, "pool capacity could not be read; retried");
      // A class naming a pool the backend does not serve is a configuration mistake: the provider stops.
      const started = capacity.refresh().catch((err: unknown) => {
        if (err instanceof PermanentBackendError)
          throw new Error(`volume classes: ${err.message}`, { cause: err });
        capacityUnknown(err);
      });
      const stopRefresh = capacity.refreshEvery(CAPACITY_REFRESH_MS, capacityUnknown);
      const ctx: VolumeServerContext = {
        volumes,
        snapshots,
        classes,
        capacity,
        maxVolumeBytes: BigInt(settings.maxVolumeBytes),
        backend,
        events,
        runtimeName: settings.runtimeName,
        runtimeVersion: RUNTIME_VERSION,
      };
      return {
        register: (router) => registerVolumeRuntime(router, ctx),
        close: async () => stopRefresh(),
        started,
      };
    },
  });
}
