export type { BackendState, BackendStateCollection } from "./backend/backend-state.js";
export { openBackendState } from "./backend/backend-state.js";
export { KitBackgroundJobs } from "./backend/background-jobs.js";
export { configuredClass } from "./backend/configured-class.js";
export type { Note, ObjectReconciler, ObjectReconcilerOptions } from "./backend/object-reconciler.js";
export { objectReconciler } from "./backend/object-reconciler.js";
export type { AnyBackendFactory, BackendContextOptions, BackendSinks } from "./backend/open-backend.js";
export { createBackendContext } from "./backend/open-backend.js";
export type { OrphanPolicy, OrphanVerdict } from "./backend/orphans.js";
export { judgeOrphans } from "./backend/orphans.js";
export type { ToConnectErrorContext } from "./errors.js";
export {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  ProviderError,
  resourceExhausted,
  toConnectError,
  unavailable,
} from "./errors.js";
export type { EventListFilter, EventRecorderOptions, InvolvedObject, RecordedEvent } from "./events.js";
export { EventRecorder } from "./events.js";
export { ExecTokens, TooManyTokensError } from "./exec/exec-tokens.js";
export type { ExecSession, StreamingServer, StreamingServerOptions } from "./exec/streaming-server.js";
export { startStreamingServer } from "./exec/streaming-server.js";
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
export { generateId, isValidId } from "./ids.js";
export type { Logger, LoggerConfig } from "./logging.js";
export { createLogger } from "./logging.js";
export type { ProviderMetricsOptions } from "./metrics.js";
export { ProviderMetrics } from "./metrics.js";
export type { OpsServer, OpsServerOptions } from "./ops-server.js";
export { startOpsServer } from "./ops-server.js";
export { CachedListEncoder } from "./records/cached-list.js";
export type { CreateRecordInput } from "./records/create-record.js";
export { createRecord } from "./records/create-record.js";
export type { IriEventFilter } from "./records/list-events.js";
export { listEvents } from "./records/list-events.js";
export type { RecordFilter } from "./records/list-records.js";
export { isUnfiltered, listRecords } from "./records/list-records.js";
export { listResponse } from "./records/list-response.js";
export { toObjectMetadata } from "./records/object-metadata.js";
export { protoCodec } from "./records/proto-codec.js";
export { recordRefusedCreate } from "./records/refused-create.js";
export { writeStatus } from "./records/write-status.js";
export { collectSecretValues, isSecretKey, redactSecrets, scrubSecretValues } from "./redact.js";
export { loadOrCreateKey } from "./secrets/key-file.js";
export { type SealingKeys, sealedCodec, UnsealError } from "./secrets/sealed-codec.js";
export { matchesSelector } from "./selector.js";
export type { ClassEntry, RawClassEntry } from "./settings/class-file.js";
export { loadClassFile, readClassFile } from "./settings/class-file.js";
export type { RuntimeKind } from "./settings/common-settings.js";
export { commonSettings } from "./settings/common-settings.js";
export type { SettingDefinition, SettingKind, SettingValues } from "./settings/settings.js";
export { parseSettings, SettingsError, settingsHelp } from "./settings/settings.js";
export type { ShutdownOptions } from "./shutdown.js";
export { onShutdownSignal } from "./shutdown.js";
export {
  LIMITS,
  requireIdLength,
  requireNonEmpty,
  requirePresent,
  requireValidId,
  validateAnnotations,
  validateLabels,
  validateStringMap,
} from "./validate.js";
