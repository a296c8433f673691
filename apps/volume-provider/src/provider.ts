import { fileURLToPath } from "node:url";
import type { VolumeBackend } from "@iri/backend-api";
import { NoopVolumeBackend } from "@iri/noop-backend";
import {
  collectionController,
  loadClassFile,
  type ProviderHost,
  removeOrphans,
  SettingsError,
  type SettingValues,
  startProviderHost,
  trackObjectCount,
} from "@iri/runtime-kit";
import { snapshotReconciler } from "./reconcile/snapshot-reconciler.js";
import { volumeReconciler } from "./reconcile/volume-reconciler.js";
import type { VolumeServerContext } from "./server/context.js";
import { registerVolumeRuntime } from "./server/volume-runtime.js";
import type { volumeSettings } from "./settings.js";
import { openSnapshotCollection, openVolumeCollection } from "./volume-store.js";

export type VolumeProviderSettings = SettingValues<typeof volumeSettings>;

export const RUNTIME_VERSION = "0.1.0";
const defaultClassFile = fileURLToPath(new URL("../config/volume-classes.json", import.meta.url));

function createBackend(settings: VolumeProviderSettings): VolumeBackend {
  if (settings.backend === "noop") return new NoopVolumeBackend(BigInt(settings.noopCapacityBytes));
  throw new SettingsError(
    `--backend: unknown volume backend ${JSON.stringify(settings.backend)} (available: noop)`,
  );
}

/** Wires store, backend, reconcilers and the gRPC service; resolves once the provider serves. */
export async function startVolumeProvider(settings: VolumeProviderSettings): Promise<ProviderHost> {
  const classes = loadClassFile(settings.classFile || defaultClassFile);
  const backend = createBackend(settings);
  return startProviderHost({
    name: "volume-provider",
    settings,
    backend,
    async setup({ db, events, metrics, logger }) {
      const volumes = openVolumeCollection(db);
      const snapshots = openSnapshotCollection(db);
      trackObjectCount(metrics, "volume", volumes);
      trackObjectCount(metrics, "volume_snapshot", snapshots);
      const owned = await backend.listOwned();
      const remove = (id: string, signal: AbortSignal) => backend.removeSnapshot(id, signal);
      await removeOrphans("volume_snapshot", owned.snapshots, (id) => !!snapshots.get(id), remove, logger);
      await removeOrphans(
        "volume",
        owned.volumes,
        (id) => !!volumes.get(id),
        backend.remove.bind(backend),
        logger,
      );
      const volumeController = collectionController({
        name: "volume",
        collection: volumes,
        reconcile: volumeReconciler({ volumes, classes, backend, events }),
        settings,
        metrics,
        logger,
      });
      const snapshotController = collectionController({
        name: "volume_snapshot",
        collection: snapshots,
        reconcile: snapshotReconciler({ snapshots, backend, events }),
        settings,
        metrics,
        logger,
      });
      const ctx: VolumeServerContext = {
        volumes,
        snapshots,
        classes,
        backend,
        events,
        runtimeName: settings.runtimeName,
        runtimeVersion: RUNTIME_VERSION,
      };
      return {
        controllers: [volumeController, snapshotController],
        register: (router) => registerVolumeRuntime(router, ctx),
      };
    },
  });
}
