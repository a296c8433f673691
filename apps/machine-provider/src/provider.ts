import { fileURLToPath } from "node:url";
import type { MachineBackend } from "@iri/backend-api";
import { NoopMachineBackend } from "@iri/noop-backend";
import {
  collectionController,
  type ProviderHost,
  removeOrphans,
  SettingsError,
  type SettingValues,
  startProviderHost,
  trackObjectCount,
} from "@iri/runtime-kit";
import { ClassUsage } from "./class-usage.js";
import { loadMachineClasses } from "./machine-classes.js";
import { openMachineCollection } from "./machine-store.js";
import { machineReconciler } from "./reconcile/machine-reconciler.js";
import type { MachineServerContext } from "./server/context.js";
import { registerMachineRuntime } from "./server/machine-runtime.js";
import type { machineSettings } from "./settings.js";

export type MachineProviderSettings = SettingValues<typeof machineSettings>;

export const RUNTIME_VERSION = "0.1.0";
const defaultClassFile = fileURLToPath(new URL("../config/machine-classes.json", import.meta.url));

function createBackend(name: string): MachineBackend {
  if (name === "noop") return new NoopMachineBackend();
  throw new SettingsError(`--backend: unknown machine backend ${JSON.stringify(name)} (available: noop)`);
}

/** Wires store, backend, reconciler and the gRPC service; resolves once the provider serves. */
export async function startMachineProvider(settings: MachineProviderSettings): Promise<ProviderHost> {
  const classes = loadMachineClasses(settings.classFile || defaultClassFile);
  const backend = createBackend(settings.backend);
  return startProviderHost({
    name: "machine-provider",
    settings,
    backend,
    async setup({ db, events, metrics, logger }) {
      const machines = openMachineCollection(db);
      trackObjectCount(metrics, "machine", machines);
      const owned = await backend.listOwned();
      await removeOrphans("machine", owned, (id) => !!machines.get(id), backend.remove.bind(backend), logger);
      const controller = collectionController({
        name: "machine",
        collection: machines,
        reconcile: machineReconciler({ machines, backend, events }),
        settings,
        metrics,
        logger,
      });
      backend.watch?.((id) => controller.enqueue(id));
      const ctx: MachineServerContext = {
        machines,
        classes,
        capacityPolicy: settings,
        classUsage: new ClassUsage(machines),
        backend,
        events,
        runtimeName: settings.runtimeName,
        runtimeVersion: RUNTIME_VERSION,
      };
      return {
        controllers: [controller],
        register: (router) => registerMachineRuntime(router, ctx),
      };
    },
  });
}
