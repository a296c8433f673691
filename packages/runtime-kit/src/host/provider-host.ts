import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ConnectRouter } from "@connectrpc/connect";
import { Controller, type ControllerHooks, type Reconciler, storeSource } from "@iri/reconcile";
import { type Collection, type Database, openDatabase } from "@iri/store";
import { EventRecorder } from "../events.js";
import { createLogger, type Logger } from "../logging.js";
import { ProviderMetrics } from "../metrics.js";
import { type OpsServer, startOpsServer } from "../ops-server.js";
import { type RunningServer, serveRuntime } from "../serve.js";

/** The settings every provider shares (see commonSettings). */
export interface HostSettings {
  socketPath: string;
  socketMode: number;
  stateDir: string;
  opsAddress: string;
  logLevel: string;
  shutdownGraceMs: number;
  eventTtlMs: number;
  maxEvents: number;
}

export interface HostServices {
  db: Database;
  events: EventRecorder;
  metrics: ProviderMetrics;
  logger: Logger;
}

/** What an app hands back once its collections, backend and controllers exist. */
export interface HostWiring {
  controllers: Controller[];
  register(router: ConnectRouter): void;
}

export interface ProviderHostOptions {
  /** e.g. "machine-provider"; used in logs and metrics. */
  name: string;
  settings: HostSettings;
  backend: { close(): Promise<void> };
  /** Opens collections, adopts backend state, builds controllers and the service. Runs before serving. */
  setup(services: HostServices): Promise<HostWiring>;
}

export interface ProviderHost extends HostServices {
  readonly socketPath: string;
  /** Port of the ops endpoint (0 when disabled). */
  readonly opsPort: number;
  /** Drains calls, stops controllers, closes the backend, the ops endpoint and the database. */
  close(): Promise<void>;
}

/**
 * The life of a provider process: state directory, database, events, metrics, controllers, the gRPC socket
 * and the ops endpoint, started in an order that never serves a request before the store is open, and
 * stopped in reverse.
 */
export async function startProviderHost(options: ProviderHostOptions): Promise<ProviderHost> {
  const { settings } = options;
  const logger = createLogger({ level: settings.logLevel, name: options.name });
  mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 });
  const db = openDatabase({ path: join(settings.stateDir, "store.db") });
  const metrics = new ProviderMetrics({ defaultLabels: { provider: options.name } });
  const events = new EventRecorder({ db, logger, ttlMs: settings.eventTtlMs, maxEvents: settings.maxEvents });
  let ready = false;
  let ops: OpsServer | undefined;
  let server: RunningServer | undefined;
  let controllers: Controller[] = [];
  try {
    const wiring = await options.setup({ db, events, metrics, logger });
    controllers = wiring.controllers;
    for (const c of controllers) c.start();
    server = await serveRuntime({
      socketPath: settings.socketPath,
      socketMode: settings.socketMode,
      logger,
      metrics,
      shutdownGraceMs: settings.shutdownGraceMs,
      register: wiring.register,
    });
    if (settings.opsAddress !== "") {
      ops = await startOpsServer({ address: settings.opsAddress, metrics, isReady: () => ready, logger });
    }
    ready = true;
    logger.info({ socket: settings.socketPath, opsPort: ops?.port ?? 0 }, "provider serving");
  } catch (err) {
    await Promise.allSettled(controllers.map((c) => c.stop()));
    await server?.close();
    await options.backend.close();
    await db.close();
    throw err;
  }
  const running = server;
  const opsServer = ops;
  return {
    db,
    events,
    metrics,
    logger,
    socketPath: settings.socketPath,
    opsPort: opsServer?.port ?? 0,
    async close() {
      ready = false;
      await running.close();
      await Promise.allSettled(controllers.map((c) => c.stop()));
      await options.backend.close();
      await opsServer?.close();
      await events.close();
      await db.close();
      logger.info("provider stopped");
    },
  };
}

/** Keeps the objects gauge equal to a collection's size. */
export function trackObjectCount(
  metrics: ProviderMetrics,
  kind: string,
  collection: Collection<unknown, unknown>,
): void {
  metrics.objects.set({ kind }, collection.count());
  collection.watch(() => {
    metrics.objects.set({ kind }, collection.count());
  });
}

/** Controller hooks feeding the metrics and logging retries (the error message only; it must carry no secret). */
function controllerMetricsHooks(
  metrics: ProviderMetrics,
  controller: string,
  logger: Logger,
): ControllerHooks {
  return {
    onQueueDepth: (depth) => metrics.reconcileQueueDepth.set({ controller }, depth),
    onRetry: (key, error, attempt, delayMs) => {
      metrics.reconcileRetries.inc({ controller });
      logger.warn(
        { controller, key, attempt, delayMs, error: errorMessage(error) },
        "reconcile failed, retrying",
      );
    },
    onTerminal: (key, error) =>
      logger.error({ controller, key, error: errorMessage(error) }, "reconcile failed for good"),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Removes what a backend holds for objects the store does not know: leftovers of a crash between the
 * backend creating something and the store recording it, or of a delete whose record went first.
 */
export async function removeOrphans(
  kind: string,
  owned: Iterable<string>,
  known: (id: string) => boolean,
  remove: (id: string, signal: AbortSignal) => Promise<void>,
  logger: Logger,
): Promise<void> {
  for (const id of owned) {
    if (known(id)) continue;
    logger.info({ kind, id }, "removing orphaned backend resources");
    await remove(id, AbortSignal.timeout(120_000));
  }
}

export interface CollectionControllerOptions {
  name: string;
  collection: Collection<unknown, unknown>;
  reconcile: Reconciler;
  settings: { workers: number; resyncPeriodMs: number };
  metrics: ProviderMetrics;
  logger: Logger;
}

/**
 * A controller that reconciles every record of a collection: on every write (store watch), on start, and
 * at least every resync period.
 */
export function collectionController(options: CollectionControllerOptions): Controller {
  const { name, collection, settings } = options;
  const controller = new Controller({
    name,
    reconcile: options.reconcile,
    concurrency: settings.workers,
    resyncPeriodMs: settings.resyncPeriodMs,
    listKeys: () => collection.list().map((r) => r.metadata.id),
    hooks: controllerMetricsHooks(options.metrics, name, options.logger),
  });
  controller.addSource(storeSource(collection));
  return controller;
}
