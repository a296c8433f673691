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
export { generateId, isValidId } from "./ids.js";
// Added by the lead alongside the kit (records, settings, provider host).
export * from "./kit-additions.js";
export type { Logger, LoggerConfig } from "./logging.js";
export { createLogger } from "./logging.js";
export type { ProviderMetricsOptions } from "./metrics.js";
export { ProviderMetrics } from "./metrics.js";
export type { OpsServer, OpsServerOptions } from "./ops-server.js";
export { startOpsServer } from "./ops-server.js";
export { collectSecretValues, isSecretKey, redactSecrets, scrubSecretValues } from "./redact.js";
export { matchesSelector } from "./selector.js";
export type { RunningServer, ServeOptions } from "./serve.js";
export { serveRuntime } from "./serve.js";
export type { ShutdownOptions } from "./shutdown.js";
export { onShutdownSignal } from "./shutdown.js";
export { requireNonEmpty, requirePresent, requireValidId, validateStringMap } from "./validate.js";
