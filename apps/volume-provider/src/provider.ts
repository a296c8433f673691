import { fileURLToPath } from "node:url";
import { PermanentBackendError, type VolumeBackend } from "@iri/backend-api";
import {
  type AnyBackendFactory,
  type BackendStateCollection,
  loadClassFile,
  type ProviderHost,
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
import { VolumeCapacity } from "./volume-capacity.js";
import { openSnapshotCollection, openVolumeCollection } from "./volume-store.js";

export type VolumeProviderSettings = SettingValues<typeof volumeSettings>;

export const RUNTIME_VERSION = "0.1.0";
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
  return startProviderHost({
    name: "volume-provider",
    settings,
    backends,
    // Serving after a restart must not wait for the cluster: every answer comes from the store (Status
    // reports a capacity not read yet as Unavailable, creates wait for the first reading); reconciles wait.
    standIn: (opening) => volumeBackendStandIn(settings.backend, opening),
    async setup({ db, events, metrics, logger, backend, kek, objectController, routeBackend }) {
      const volumes = openVolumeCollection(db, kek);
      const snapshots = openSnapshotCollection(db);
      trackObjectCount(metrics, "volume", volumes);
      trackObjectCount(metrics, "volume_snapshot", snapshots);
      let snapshotStates: BackendStateCollection | undefined;
      const volumeKind = objectController(
        volumeReconcilerOptions({
          volumes,
          snapshots,
          snapshotStates: () => snapshotStates as BackendStateCollection,
          classes,
          backend,
        }),
      );
      const snapshotKind = objectController(
        snapshotReconcilerOptions({ snapshots, volumes, volumeStates: volumeKind.states, backend }),
      );
      snapshotStates = snapshotKind.states;
      routeBackend({
        find: (id) => volumes.get(id) ?? snapshots.get(id),
        notify: (id) => {
          if (volumes.get(id)) volumeKind.controller.enqueue(id);
          if (snapshots.get(id)) snapshotKind.controller.enqueue(id);
        },
      });
      const capacity = new VolumeCapacity(classes, volumes, backend, settings.overprovisioningPercent);
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
