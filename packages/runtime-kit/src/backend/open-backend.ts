import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type {
  BackendContext,
  BackendFactory,
  BackgroundJobs,
  EventType,
  OwnerIdentity,
  SettingDefinitions,
  SettingValues,
} from "@iri/backend-api";
import type { Registry } from "prom-client";
import type { Logger } from "../logging.js";
import { SettingsError } from "../settings/settings.js";
import type { KitBackgroundJobs } from "./background-jobs.js";

/** Any backend factory of a runtime, whatever its settings. */
// biome-ignore lint/suspicious/noExplicitAny: factories differ only in their settings' types.
export type AnyBackendFactory<Backend> = BackendFactory<Backend, any>;

/** Where events and reconcile requests of a backend go; wired once the app's collections exist. */
export interface BackendSinks {
  event(objectId: string, type: EventType, reason: string, message: string): void;
  notify(objectId: string): void;
}

export interface OpenBackendOptions<Backend> {
  factories: readonly AnyBackendFactory<Backend>[];
  /** The --backend value. */
  name: string;
  /** Every parsed setting; the chosen factory reads its own keys. */
  settings: Record<string, unknown>;
  stateDir: string;
  logger: Logger;
  metrics: Registry;
  owner: OwnerIdentity;
  jobs: KitBackgroundJobs;
  sinks: BackendSinks;
}

/** Finds the factory named by --backend and opens it with its own settings and a context. */
export async function openBackend<Backend>(options: OpenBackendOptions<Backend>): Promise<Backend> {
  const available = options.factories.map((f) => f.name).join(", ");
  if (options.name === "") throw new SettingsError(`--backend is required (available: ${available})`);
  const factory = options.factories.find((f) => f.name === options.name);
  if (!factory) {
    throw new SettingsError(
      `--backend: unknown backend ${JSON.stringify(options.name)} (available: ${available})`,
    );
  }
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(factory.settings as SettingDefinitions)) own[key] = options.settings[key];
  const context = createBackendContext({
    ...options,
    stateDir: join(options.stateDir, "backend", factory.name),
    logger: options.logger.child({ backend: factory.name }),
  });
  return factory.open(own as SettingValues<SettingDefinitions>, context);
}

export interface BackendContextOptions {
  /** The backend's own directory (created 0700). */
  stateDir: string;
  logger: Logger;
  metrics: Registry;
  owner: OwnerIdentity;
  jobs: BackgroundJobs;
  sinks?: BackendSinks;
}

/** The context a backend is opened with (also for a backend's own tests: events and notify default to no-ops). */
export function createBackendContext(options: BackendContextOptions): BackendContext {
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const sinks = options.sinks ?? { event: () => undefined, notify: () => undefined };
  return {
    stateDir: options.stateDir,
    logger: options.logger,
    metrics: options.metrics,
    owner: options.owner,
    event: (id, type, reason, message) => sinks.event(id, type, reason, message),
    notify: (id) => sinks.notify(id),
    jobs: options.jobs,
  };
}
