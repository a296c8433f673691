import { chmodSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ConnectRouter } from "@connectrpc/connect";
import type { OwnerIdentity } from "@iri/backend-api";
import { Controller, type ControllerHooks, storeSource } from "@iri/reconcile";
import { type Collection, type Database, jsonCodec, openDatabase } from "@iri/store";
import { type BackendStateCollection, openBackendState } from "../backend/backend-state.js";
import { KitBackgroundJobs } from "../backend/background-jobs.js";
import {
  type ObjectReconciler,
  type ObjectReconcilerOptions,
  objectReconciler,
} from "../backend/object-reconciler.js";
import { type AnyBackendFactory, type BackendSinks, openBackend } from "../backend/open-backend.js";
import { type OrphanScan, startOrphanScanner } from "../backend/orphan-scanner.js";
import { parseOrphanPolicy } from "../backend/orphans.js";
import { ownerIdentity } from "../backend/owner-identity.js";
import { EventRecorder, type InvolvedObject } from "../events.js";
import { createLogger, type Logger } from "../logging.js";
import { ProviderMetrics } from "../metrics.js";
import { type OpsServer, startOpsServer } from "../ops-server.js";
import { largeListEvents } from "../records/large-list-event.js";
import { loadOrCreateKey, readKey } from "../secrets/key-file.js";
import type { SealingKeys } from "../secrets/sealed-codec.js";
import {
  DEFAULT_SERVE_LIMITS,
  type RunningServer,
  type ServeLimits,
  serveRuntime,
} from "../transport/index.js";

/** The settings every provider shares (see commonSettings). */
export interface HostSettings extends ServeLimits {
  socketPath: string;
  extraSocketPaths: readonly string[];
  socketMode: number;
  stateDir: string;
  opsAddress: string;
  logLevel: string;
  shutdownGraceMs: number;
  eventTtlMs: number;
  maxEvents: number;
  backend: string;
  keyFile: string;
  previousKeyFile: string;
  orphanRemoval: string;
  workers: number;
  resyncPeriodMs: number;
  healthProbeMs: number;
}

export interface HostServices<Backend> {
  db: Database;
  events: EventRecorder;
  metrics: ProviderMetrics;
  logger: Logger;
  backend: Backend;
  owner: OwnerIdentity;
  /** The key-encryption keys: seal collections holding secrets with them (sealedCodec). */
  kek: SealingKeys;
  /**
   * The backend state of an object kind (where the backend put each object, its creation tag). Open them
   * before the controllers when one kind's reconciler reads another kind's (a restore reads where its
   * snapshot lives); `objectController` uses the same collection.
   */
  backendStates(kind: string): BackendStateCollection;
  /** Builds the controller of one object kind on the kit's reconciler pattern. */
  objectController<Spec, Status, Observation>(
    options: ObjectControllerOptions<Spec, Status, Observation>,
  ): { controller: Controller; reconciler: ObjectReconciler; states: BackendStateCollection };
  /**
   * Routes the backend's events and notify() calls once the collections exist: `find` gives the record an
   * event is about (events about unknown ids are dropped), `notify` enqueues its reconcile.
   */
  routeBackend(route: BackendRoute): void;
}

export type ObjectControllerOptions<Spec, Status, Observation> = Omit<
  ObjectReconcilerOptions<Spec, Status, Observation>,
  "states" | "events" | "logger" | "nextTag"
> & {
  /** What the backend holds of this kind, for the orphan pass. */
  listOwned: OrphanScan["listOwned"];
};

export interface BackendRoute {
  find(id: string): { metadata: InvolvedObject } | undefined;
  notify(id: string): void;
}

/** What an app hands back once its collections, controllers and service exist. */
export interface HostWiring {
  register(router: ConnectRouter): void;
  /** Extra things to stop on shutdown (e.g. a streaming server), after the controllers. */
  close?(): Promise<void>;
  /**
   * Work the app starts in setup but does not wait for before serving (a first backend reading); its
   * rejection means the provider cannot run (e.g. a configuration the backend refuses): the host stops.
   */
  started?: Promise<void>;
}

export interface ProviderHostOptions<Backend extends { close(): Promise<void> }> {
  /** e.g. "machine-provider"; used in logs, metrics and owner tags. */
  name: string;
  settings: HostSettings & Record<string, unknown>;
  backends: readonly AnyBackendFactory<Backend>[];
  /** Opens collections, builds controllers and the service. Runs before serving. */
  setup(services: HostServices<Backend>): Promise<HostWiring>;
  /**
   * Serve from the store before the backend is open: given the backend's opening, returns a stand-in whose
   * calls wait for it. For a backend whose opening takes seconds (cluster calls) while every answer the
   * provider gives comes from its store; the opening begins once the socket serves. Without it the backend is
   * opened before serving. A failed opening stops the provider (`failed`).
   */
  standIn?(opening: Promise<Backend>): Backend;
}

export interface ProviderHost {
  readonly socketPath: string;
  /** Port of the ops endpoint (0 when disabled). */
  readonly opsPort: number;
  readonly logger: Logger;
  readonly db: Database;
  readonly events: EventRecorder;
  readonly metrics: ProviderMetrics;
  readonly owner: OwnerIdentity;
  /** Drains calls, stops controllers, closes the backend, the ops endpoint and the database. */
  close(): Promise<void>;
  /**
   * Resolves, once the provider has stopped itself, with the reason it cannot run: the backend's opening
   * or the app's `started` work failed after serving began. Never resolves otherwise.
   */
  readonly failed: Promise<Error>;
}

/**
 * The life of a provider process, in an order that never serves a request before the store is open: ops
 * endpoint (/readyz 503 "starting"), state directory, key, store, owner identity, backend (opened and
 * validated; with `standIn`, opening meanwhile), the app's collections and controllers, the gRPC socket, then
 * the controllers and the orphan pass. Stopped in reverse.
 */
export async function startProviderHost<Backend extends { close(): Promise<void> }>(
  options: ProviderHostOptions<Backend>,
): Promise<ProviderHost> {
  const { settings } = options;
  const logger = createLogger({ level: settings.logLevel, name: options.name });
  const metrics = new ProviderMetrics({ defaultLabels: { provider: options.name } });
  let notReady: string | undefined = "starting";
  const ops: OpsServer | undefined =
    settings.opsAddress === ""
      ? undefined
      : await startOpsServer({ address: settings.opsAddress, metrics, readiness: () => notReady, logger });
  const orphanPolicy = parseOrphanPolicy(settings.orphanRemoval);

  const cleanups: (() => Promise<void>)[] = [async () => ops?.close()];
  const unwind = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    privateStateDir(settings.stateDir, logger);
    const kek: SealingKeys = {
      current: loadOrCreateKey(settings.keyFile || join(settings.stateDir, "kek")).key,
      previous: settings.previousKeyFile === "" ? undefined : readKey(settings.previousKeyFile),
    };
    const db = openDatabase({ path: join(settings.stateDir, "store.db") });
    cleanups.push(() => db.close());
    const owner = await ownerIdentity(db, options.name);
    const events = new EventRecorder({
      db,
      logger,
      ttlMs: settings.eventTtlMs,
      maxEvents: settings.maxEvents,
    });
    cleanups.push(() => events.close());

    let sinks: BackendSinks = { event: () => undefined, notify: () => undefined };
    const jobs = new KitBackgroundJobs();
    const openTheBackend = () =>
      openBackend({
        factories: options.backends,
        name: settings.backend,
        settings,
        stateDir: settings.stateDir,
        logger,
        metrics: metrics.registry,
        owner,
        jobs,
        sinks: { event: (...a) => sinks.event(...a), notify: (id) => sinks.notify(id) },
      }).then((opened) => {
        logger.info({ backend: settings.backend, instanceId: owner.instanceId }, "backend open");
        return opened;
      });
    // An unknown --backend is a settings error: answered before serving, as without a stand-in.
    const standIn = options.backends.some((f) => f.name === settings.backend) ? options.standIn : undefined;
    // With a stand-in the backend opens once the socket serves: loading its code and its first calls run on
    // this thread too, and would otherwise delay the first answer after a restart. Stopping before serving
    // cancels it (the stand-in's calls then fail; nothing was opened).
    const gate = { serving: () => {}, cancel: () => {} };
    const opening = standIn
      ? new Promise<void>((resolve, reject) => {
          gate.serving = resolve;
          gate.cancel = () => reject(new Error("the provider stopped before it served"));
        }).then(openTheBackend)
      : openTheBackend();
    // A stand-in's failed opening is reported through `failed` below, not as an unhandled rejection.
    if (standIn) opening.catch(() => undefined);
    const backend = standIn ? standIn(opening) : await opening;
    cleanups.push(() => backend.close());
    cleanups.push(async () => gate.cancel());
    cleanups.push(() => jobs.close());

    const scans: OrphanScan[] = [];
    const controllers: Controller[] = [];
    const openedStates = new Map<string, BackendStateCollection>();
    const backendStates = (kind: string) => {
      let states = openedStates.get(kind);
      if (states === undefined) {
        states = openBackendState(db, kind);
        openedStates.set(kind, states);
      }
      return states;
    };
    const wiring = await options.setup({
      db,
      events,
      metrics,
      logger,
      backend,
      owner,
      kek,
      routeBackend: (route) => {
        sinks = {
          event: (id, type, reason, message) => {
            const record = route.find(id);
            if (record)
              events.record({ involved: record.metadata, type, reason, action: "Reconcile", message });
          },
          notify: (id) => route.notify(id),
        };
      },
      backendStates,
      objectController: (o) => {
        const states = backendStates(o.kind);
        const reconciler = objectReconciler({ ...o, states, events, logger, nextTag: owner.nextTag });
        const controller = new Controller({
          name: o.kind,
          reconcile: reconciler.reconcile,
          concurrency: settings.workers,
          resyncPeriodMs: settings.resyncPeriodMs,
          listKeys: reconciler.listKeys,
          hooks: controllerMetricsHooks(metrics, o.kind, logger),
        });
        controller.addSource(storeSource(o.collection as Collection<unknown, unknown>));
        controllers.push(controller);
        scans.push({
          kind: o.kind,
          listOwned: o.listOwned,
          known: (id) => o.collection.get(id) !== undefined,
          storedCount: () => o.collection.count(),
          reconciler,
          controller,
        });
        cleanups.push(async () => reconciler.close());
        return { controller, reconciler, states };
      },
    });
    if (wiring.close) cleanups.push(wiring.close);
    // Every collection holding secrets is open now, its records opened with either key.
    if (kek.previous !== undefined) {
      const resealed = db.reencodeAtRest();
      metrics.resealedRecords.inc(resealed);
      logger.info({ resealed }, "store re-sealed with the key-encryption key; --previous-key-file may go");
    }
    const server: RunningServer = await serveRuntime({
      socketPath: settings.socketPath,
      extraSocketPaths: settings.extraSocketPaths,
      socketMode: settings.socketMode,
      logger,
      metrics,
      shutdownGraceMs: settings.shutdownGraceMs,
      limits: pickServeLimits(settings),
      register: wiring.register,
      onLargeListResponse: largeListEvents(events, options.name),
    });
    // Stopped first on close: no call may reach a store that is closing.
    cleanups.push(async () => {
      await Promise.allSettled(controllers.map((c) => c.stop()));
    });
    cleanups.push(() => server.close());
    gate.serving();
    for (const c of controllers) c.start();
    const scanner = startOrphanScanner({
      scans,
      instanceId: owner.instanceId,
      lineage: owner.lineage,
      policy: orphanPolicy,
      periodMs: settings.resyncPeriodMs,
      logger,
      registry: metrics.registry,
      warn: (id, reason, message) =>
        events.record({
          involved: { id, labels: {} },
          type: "Warning",
          reason,
          action: "OrphanScan",
          message,
        }),
    });
    cleanups.push(async () => scanner.stop());
    const probe = startHealthProbe(db, settings.healthProbeMs, (reason) => {
      notReady = reason;
    });
    cleanups.push(async () => clearInterval(probe));
    notReady = undefined;
    logger.info({ socket: settings.socketPath, opsPort: ops?.port ?? 0 }, "provider serving");
    const failed = Promise.all([opening, wiring.started]).then(
      () => new Promise<Error>(() => {}),
      async (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        notReady = `cannot run: ${error.message}`;
        logger.error({ error: error.message }, "provider cannot run; stopping");
        await unwind();
        return error;
      },
    );
    return {
      failed,
      socketPath: settings.socketPath,
      opsPort: ops?.port ?? 0,
      logger,
      db,
      events,
      metrics,
      owner,
      async close() {
        notReady = "stopping";
        await unwind();
        logger.info("provider stopped");
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

function pickServeLimits(settings: ServeLimits): ServeLimits {
  const limits = { ...DEFAULT_SERVE_LIMITS };
  for (const key of Object.keys(limits) as (keyof ServeLimits)[]) limits[key] = settings[key];
  return limits;
}

/**
 * The state directory holds keys and secrets: 0700, also when it existed with a looser mode. A mode that
 * adds only search (x) bits for group or others (0710, 0711) is kept: it lets a backend's unprivileged helper
 * (the qemu backend's QEMU user) enter the directory without listing or reading anything.
 */
function privateStateDir(dir: string, logger: Logger): void {
  // Missing parents are made as `mkdir -p` makes them (umask): only the state directory itself is private.
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & ~0o011) !== 0o700) {
    chmodSync(dir, 0o700);
    logger.warn({ dir, was: `0${mode.toString(8)}` }, "state directory tightened to 0700");
  }
}

/**
 * A write every few seconds proves the store can still commit; while it cannot (disk full, I/O errors, a
 * read-only file system) /readyz answers 503 with the reason.
 */
function startHealthProbe(
  db: Database,
  periodMs: number,
  report: (notReady: string | undefined) => void,
): NodeJS.Timeout {
  const probes = db.collection("health_probe", {
    spec: jsonCodec<{ atMs: number }>(),
    status: jsonCodec<Record<string, never>>(),
  });
  const write = async () => {
    try {
      const spec = { atMs: Date.now() };
      if (probes.get("probe")) await probes.mutate("probe", () => ({ spec }));
      else await probes.create({ id: "probe", spec, status: {} });
      report(undefined);
    } catch (err) {
      report(`the store cannot commit: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(() => void write(), periodMs);
  timer.unref();
  return timer;
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
        { controller, key, attempt, delayMs, error: error instanceof Error ? error.message : String(error) },
        "reconcile failed, retrying",
      );
    },
  };
}
