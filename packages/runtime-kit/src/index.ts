// What the apps, the backend packages and docs/examples import (each name has an import site outside the kit);
// everything else is internal. README.md lists every module.
export type { BackendStateCollection } from "./backend/backend-state.js";
export { openBackendState } from "./backend/backend-state.js";
export { KitBackgroundJobs } from "./backend/background-jobs.js";
export { configuredClass } from "./backend/configured-class.js";
export type { ObjectReconciler } from "./backend/object-reconciler.js";
export { objectReconciler } from "./backend/object-reconciler.js";
export type { AnyBackendFactory } from "./backend/open-backend.js";
export { createBackendContext } from "./backend/open-backend.js";
export type { OrphanPolicy, OrphanVerdict } from "./backend/orphans.js";
export type { CapacityLedgerOptions } from "./capacity/capacity-ledger.js";
export { CapacityLedger } from "./capacity/capacity-ledger.js";
export type { ToConnectErrorContext } from "./errors.js";
export {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  ProviderError,
  resourceExhausted,
  unavailable,
} from "./errors.js";
export { EventRecorder } from "./events.js";
export { TooManyTokensError } from "./exec/exec-tokens.js";
export type { ExecSession } from "./exec/streaming-server.js";
export { startStreamingServer } from "./exec/streaming-server.js";
export { packageVersion } from "./host/package-version.js";
// Provider wiring: records, settings and the host that every app is built from.
export type {
  BackendRoute,
  HostServices,
  HostSettings,
  HostWiring,
  ObjectControllerOptions,
  ProviderHost,
  ProviderHostOptions,
} from "./host/provider-host.js";
export { startProviderHost, trackObjectCount } from "./host/provider-host.js";
export { runMain } from "./host/run-main.js";
export type { Logger } from "./logging.js";
export { createLogger } from "./logging.js";
export { ProviderMetrics } from "./metrics.js";
export { CachedListEncoder } from "./records/cached-list.js";
export { createRecord } from "./records/create-record.js";
export { listEvents } from "./records/list-events.js";
export { listResponse } from "./records/list-response.js";
export { toObjectMetadata } from "./records/object-metadata.js";
export { protoCodec } from "./records/proto-codec.js";
export { recordRefusedCreate } from "./records/refused-create.js";
export { type StoredElement, type StoredElementOptions, storedElement } from "./records/stored-element.js";
export { type SealingKeys, sealedCodec } from "./secrets/sealed-codec.js";
export type { ClassEntry, RawClassEntry } from "./settings/class-file.js";
export { loadClassFile, readClassFile } from "./settings/class-file.js";
export type { RuntimeKind } from "./settings/common-settings.js";
export { commonSettings, providerEnvPrefix } from "./settings/common-settings.js";
export { composeSettings } from "./settings/compose-settings.js";
export type { SettingDefinition, SettingValues } from "./settings/settings.js";
export { parseSettings } from "./settings/settings.js";
export type { ShutdownOptions } from "./shutdown.js";
export { answerPrepared, preparedResponseKey } from "./transport/prepared-response.js";
export type { RunningServer, ServeOptions } from "./transport/serve.js";
export type { ServeLimits } from "./transport/serve-settings.js";
export { LIMITS, requireNonEmpty, validateStringMap } from "./validate.js";
