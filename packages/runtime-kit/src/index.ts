// The surface every provider app uses. Planned signatures are noted where the file is not obvious.

// errors.ts: class ProviderError extends Error { code: Code (from @connectrpc/connect); constructor(code, message) }
//   helpers invalidArgument(msg), notFound(msg), alreadyExists(msg), failedPrecondition(msg),
//   resourceExhausted(msg), unavailable(msg). toConnectError(err, logger): ConnectError is THE one mapping:
//   ProviderError → its code; @iri/store NotFoundError → NotFound, AlreadyExistsError → AlreadyExists,
//   ConflictError → Aborted; ConnectError passes through; anything else → Internal "internal error" (stack logged).
export {
  ProviderError,
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
  toConnectError,
  unavailable,
} from "./errors.js";

// serve.ts: serveRuntime({ socketPath, socketMode?: number (default 0o660), logger, metrics?,
//   register: (router: ConnectRouter) => void, shutdownGraceMs?: number (default 10_000) })
//   → Promise<RunningServer { socketPath; close(): Promise<void> /* drain in-flight, then close */ }>.
//   Replaces a stale socket, refuses (rejects with a clear Error) if a live server answers on it or the path is
//   not a socket. Installs the error-mapping + request-logging + metrics interceptor.
export { serveRuntime } from "./serve.js";
export type { RunningServer, ServeOptions } from "./serve.js";

// shutdown.ts: onShutdownSignal(handler: () => Promise<void>, logger): installs SIGTERM/SIGINT once; a second
//   signal exits at once.
export { onShutdownSignal } from "./shutdown.js";

// selector.ts: matchesSelector(labels, selector) — Kubernetes equality-set semantics (re-export of store's).
export { matchesSelector } from "./selector.js";

// ids.ts: generateId(): 63 lowercase hex chars whose first 12 are not all digits;
//   isValidId(id): DNS-label shape ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ (safe as file and RBD names, no "://").
export { generateId, isValidId } from "./ids.js";

// validate.ts: small request checks that throw invalidArgument with the field path in the message:
//   requireNonEmpty(value, field), requireValidId(value, field), validateLabels(map, field) (keys non-empty).
export { requireNonEmpty, requireValidId, validateStringMap } from "./validate.js";

// events.ts: EventRecorder backed by an @iri/store Collection (survives restarts), bounded ring (maxEvents),
//   TTL (ttlMs). record({ involved: {id, labels, annotations, createdAt, deletedAt, generation}, type:
//   "Normal"|"Warning", reason, action, message }) → void (persisted asynchronously, never throws);
//   list({ id?, labelSelector?, fromSeconds?, toSeconds? }) → event.Event[] (@iri/api, event.v1alpha1.Event) (window inclusive, only when both
//   bounds > 0; label selector on the involved object's labels).
export { EventRecorder } from "./events.js";
export type { EventRecorderOptions, EventListFilter, InvolvedObject, RecordedEvent } from "./events.js";

// logging.ts: createLogger({ level, name, destination? }) → pino Logger with deep redaction of secret-bearing
//   keys (secret_data/secretData, encryption_data/encryptionData, ignition_data/ignitionData, userKey, key,
//   password, passphrase, token, AWS_SECRET_ACCESS_KEY, ...). redactSecrets(value) returns a redacted deep copy.
export { createLogger, redactSecrets } from "./logging.js";
export type { Logger } from "./logging.js";

// metrics.ts: ProviderMetrics (prom-client registry): requests{method,code}, request duration histogram,
//   reconcile queue depth{controller}, reconcile retries{controller}, objects{kind}, last list response bytes{method}.
export { ProviderMetrics } from "./metrics.js";

// ops-server.ts: startOpsServer({ address: "host:port", metrics, isReady: () => boolean, logger })
//   → { port, close() }: GET /healthz (200 while the process serves), /readyz (200 when isReady()), /metrics.
export { startOpsServer } from "./ops-server.js";
export type { OpsServer } from "./ops-server.js";
