import { fileURLToPath } from "node:url";
import type { BucketBackend } from "@iri/backend-api";
import { NoopBucketBackend } from "@iri/noop-backend";
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
import { openBucketCollection } from "./bucket-store.js";
import { bucketReconciler } from "./reconcile/bucket-reconciler.js";
import { registerBucketRuntime } from "./server/bucket-runtime.js";
import type { BucketServerContext } from "./server/context.js";
import type { bucketSettings } from "./settings.js";

export type BucketProviderSettings = SettingValues<typeof bucketSettings>;

export const RUNTIME_VERSION = "0.1.0";
const defaultClassFile = fileURLToPath(new URL("../config/bucket-classes.json", import.meta.url));

function createBackend(name: string): BucketBackend {
  if (name === "noop") return new NoopBucketBackend();
  throw new SettingsError(`--backend: unknown bucket backend ${JSON.stringify(name)} (available: noop)`);
}

/** Wires store, backend, reconciler and the gRPC service; resolves once the provider serves. */
export async function startBucketProvider(settings: BucketProviderSettings): Promise<ProviderHost> {
  const classes = loadClassFile(settings.classFile || defaultClassFile);
  const backend = createBackend(settings.backend);
  return startProviderHost({
    name: "bucket-provider",
    settings,
    backend,
    async setup({ db, events, metrics, logger }) {
      const buckets = openBucketCollection(db);
      trackObjectCount(metrics, "bucket", buckets);
      const owned = await backend.listOwned();
      await removeOrphans("bucket", owned, (id) => !!buckets.get(id), backend.remove.bind(backend), logger);
      const controller = collectionController({
        name: "bucket",
        collection: buckets,
        reconcile: bucketReconciler({ buckets, classes, backend, events }),
        settings,
        metrics,
        logger,
      });
      const ctx: BucketServerContext = {
        buckets,
        classes,
        backend,
        events,
        runtimeName: settings.runtimeName,
        runtimeVersion: RUNTIME_VERSION,
      };
      return {
        controllers: [controller],
        register: (router) => registerBucketRuntime(router, ctx),
      };
    },
  });
}
