import { fileURLToPath } from "node:url";
import {
  type ProviderHost,
  packageVersion,
  type SettingValues,
  startProviderHost,
  startStreamingServer,
  trackObjectCount,
} from "@iri/runtime-kit";
import { machineBackends } from "./backends.js";
import { execSessionsEnded, serveExecSession } from "./exec-session.js";
import { loadMachineClasses } from "./machine-classes.js";
import { openMachineCollection } from "./machine-store.js";
import { machineReconcilerOptions } from "./reconcile/machine-reconciler.js";
import { machineCapacity } from "./server/capacity.js";
import type { MachineServerContext } from "./server/context.js";
import { ListedBytes } from "./server/listed-bytes.js";
import { LocalDiskBudget } from "./server/local-disk-budget.js";
import { registerMachineRuntime } from "./server/machine-runtime.js";
import type { machineSettings } from "./settings.js";

export type MachineProviderSettings = SettingValues<typeof machineSettings>;

/** runtime_version in Version: the app package's version. */
const RUNTIME_VERSION = packageVersion(new URL("../package.json", import.meta.url));
/** How often the host's CPUs and memory are read again for Status and admission. */
const HOST_CAPACITY_REFRESH_MS = 60_000;
const defaultClassFile = fileURLToPath(new URL("../config/machine-classes.json", import.meta.url));

/** Wires store, backend, reconciler and the gRPC service; resolves once the provider serves. */
export async function startMachineProvider(settings: MachineProviderSettings): Promise<ProviderHost> {
  const classes = loadMachineClasses(settings.classFile || defaultClassFile);
  return startProviderHost({
    name: "machine-provider",
    settings,
    backends: machineBackends,
    async setup({ db, events, metrics, logger, backend, kek, objectController, routeBackend }) {
      const machines = openMachineCollection(db, kek);
      trackObjectCount(metrics, "machine", machines);
      const { controller } = objectController(machineReconcilerOptions({ machines, classes, backend }));
      routeBackend({ find: (id) => machines.get(id), notify: (id) => controller.enqueue(id) });
      const capacity = machineCapacity(classes, settings, backend, machines);
      await capacity.refresh();
      const stopRefresh = capacity.refreshEvery(HOST_CAPACITY_REFRESH_MS, (err) =>
        logger.warn({ error: (err as Error).message }, "host capacity could not be read; retried"),
      );
      const sessionsEnded = execSessionsEnded(metrics.registry);
      const streaming = backend.openConsole
        ? await startStreamingServer({
            address: settings.streamingAddress,
            baseUrl: settings.streamingBaseUrl,
            logger,
            maxSessionsPerMachine: settings.execSessionsPerMachine,
            maxSessions: settings.execSessions,
            serve: (session) =>
              serveExecSession(
                session,
                backend,
                logger,
                {
                  idleTimeoutMs: settings.execIdleTimeout * 1000,
                  maxSessionMs: settings.execMaxSession * 1000,
                },
                sessionsEnded,
              ),
          })
        : undefined;
      const ctx: MachineServerContext = {
        machines,
        classes,
        capacity,
        listed: new ListedBytes(machines, settings.listMachinesBudgetBytes),
        diskBudget: new LocalDiskBudget(
          machines,
          BigInt(settings.localDiskBudgetGib) << 30n,
          metrics.registry,
        ),
        backend,
        events,
        execUrl: streaming?.execUrl,
        runtimeName: settings.runtimeName,
        runtimeVersion: RUNTIME_VERSION,
      };
      return {
        register: (router) => registerMachineRuntime(router, ctx),
        close: async () => {
          stopRefresh();
          await streaming?.close();
        },
      };
    },
  });
}
