import { fileURLToPath } from "node:url";
import {
  loadClassFile,
  type ProviderHost,
  packageVersion,
  type SettingValues,
  startProviderHost,
  trackObjectCount,
} from "@iri/runtime-kit";
import { bucketBackendStandIn } from "./backend-stand-in.js";
import { bucketBackends } from "./backends.js";
import { openBucketCollection } from "./bucket-store.js";
import { bucketReconcilerOptions } from "./reconcile/bucket-reconciler.js";
import { registerBucketRuntime } from "./server/bucket-runtime.js";
import type { BucketServerContext } from "./server/context.js";
import type { bucketSettings } from "./settings.js";

export type BucketProviderSettings = SettingValues<typeof bucketSettings>;

/** runtime_version in Version: the app package's version. */
const RUNTIME_VERSION = packageVersion(new URL("../package.json", import.meta.url));
const defaultClassFile = fileURLToPath(new URL("../config/bucket-classes.json", import.meta.url));

/** Wires store, backend, reconciler and the gRPC service; resolves once the provider serves. */
export async function startBucketProvider(settings: BucketProviderSettings): Promise<ProviderHost> {
  const classes = loadClassFile(settings.classFile || defaultClassFile);
  return startProviderHost({
    name: "bucket-provider",
    settings,
    backends: bucketBackends,
    // Serving after a restart must not wait for the store's admin check (nor for loading the backend's code):
    // every answer comes from the provider's own store; reconciles wait.
    standIn: (opening) => bucketBackendStandIn(settings.backend, opening),
    async setup({ db, events, metrics, backend, kek, objectController, routeBackend }) {
      const buckets = openBucketCollection(db, kek);
      trackObjectCount(metrics, "bucket", buckets);
      const { controller } = objectController(bucketReconcilerOptions({ buckets, classes, backend }));
      routeBackend({ find: (id) => buckets.get(id), notify: (id) => controller.enqueue(id) });
      const ctx: BucketServerContext = {
        buckets,
        classes,
        backend,
        events,
        runtimeName: settings.runtimeName,
        runtimeVersion: RUNTIME_VERSION,
      };
      return { register: (router) => registerBucketRuntime(router, ctx) };
    },
  });
}
