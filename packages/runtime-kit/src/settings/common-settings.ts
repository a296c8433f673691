import type { SettingDefinitions } from "@iri/backend-api";
import { serveSettings } from "../transport/index.js";

export type RuntimeKind = "machine" | "volume" | "bucket";

const opsPorts: Record<RuntimeKind, number> = { machine: 9441, volume: 9442, bucket: 9443 };

/** The prefix of every environment variable of a runtime's provider, its backends' included. */
export function providerEnvPrefix(runtime: RuntimeKind): string {
  return `IRI_${runtime.toUpperCase()}_PROVIDER_`;
}

/** Settings every provider has; env names are IRI_<RUNTIME>_PROVIDER_<SETTING>. */
export function commonSettings(runtime: RuntimeKind) {
  const env = (name: string) => `${providerEnvPrefix(runtime)}${name}`;
  return {
    socketPath: {
      flag: "socket-path",
      env: env("SOCKET_PATH"),
      kind: "string",
      default: `/var/run/iri-${runtime}provider.sock`,
      description: "Unix socket the IRI gRPC service listens on (a stale socket is replaced).",
    },
    extraSocketPaths: {
      flag: "extra-socket-path",
      env: env("EXTRA_SOCKET_PATHS"),
      kind: "stringList",
      default: "",
      description:
        "Further unix sockets serving the same service, for poollets of older IronCore releases that look elsewhere (README: compatibility). Repeatable; the environment variable is comma-separated.",
    },
    socketMode: {
      flag: "socket-mode",
      env: env("SOCKET_MODE"),
      kind: "octal",
      default: "0660",
      description: "File mode of the socket.",
    },
    stateDir: {
      flag: "state-dir",
      env: env("STATE_DIR"),
      kind: "string",
      default: `/var/lib/iri-${runtime}-provider`,
      description: "Directory for the object database and backend state (created with mode 0700).",
    },
    classFile: {
      flag: "class-file",
      env: env("CLASS_FILE"),
      kind: "string",
      default: "",
      description: `JSON file listing the ${runtime} classes; empty uses the classes shipped with the app.`,
    },
    backend: {
      flag: "backend",
      env: env("BACKEND"),
      kind: "string",
      default: "",
      description:
        "Backend that realises objects (the app README lists them); required where no real backend is the default.",
    },
    keyFile: {
      flag: "key-file",
      env: env("KEY_FILE"),
      kind: "string",
      default: "",
      description:
        "Key-encryption key (32 bytes) that seals secrets in the store; empty means <state-dir>/kek. Generated with mode 0600 on first start when absent; keep it apart from the state (e.g. a mounted secret).",
    },
    previousKeyFile: {
      flag: "previous-key-file",
      env: env("PREVIOUS_KEY_FILE"),
      kind: "string",
      default: "",
      description:
        "The key-encryption key being rotated out: when set, values sealed with it still open, and every one is sealed again with --key-file at start (one transaction). Drop it once a start has logged the re-seal.",
    },
    orphanRemoval: {
      flag: "orphan-removal",
      env: env("ORPHAN_REMOVAL"),
      kind: "string",
      default: "safe",
      description:
        "Own backend resources no object owns: safe (removed unless the store holds none of the kind or over half would go), force (removed), never (reported). What the store cannot vouch for is quarantined under every policy.",
    },
    opsAddress: {
      flag: "ops-address",
      env: env("OPS_ADDRESS"),
      kind: "string",
      default: `127.0.0.1:${opsPorts[runtime]}`,
      description: "host:port of the HTTP endpoint for /healthz, /readyz and /metrics; empty disables it.",
    },
    logLevel: {
      flag: "log-level",
      env: env("LOG_LEVEL"),
      kind: "string",
      default: "info",
      description: "pino log level: trace, debug, info, warn, error.",
    },
    workers: {
      flag: "workers",
      env: env("WORKERS"),
      kind: "integer",
      default: "4",
      min: 1,
      description: "Objects reconciled at once (per kind).",
    },
    resyncPeriodMs: {
      flag: "resync-period-ms",
      env: env("RESYNC_PERIOD_MS"),
      kind: "integer",
      default: "1800000",
      min: 0,
      description:
        "Every object is reconciled about this often (each period spread by ±20 %, per kind); 0 disables periodic resync.",
    },
    shutdownGraceMs: {
      flag: "shutdown-grace-ms",
      env: env("SHUTDOWN_GRACE_MS"),
      kind: "integer",
      default: "10000",
      min: 0,
      description: "How long in-flight calls may finish after SIGTERM.",
    },
    healthProbeMs: {
      flag: "health-probe-ms",
      env: env("HEALTH_PROBE_MS"),
      kind: "integer",
      default: "10000",
      min: 100,
      description:
        "How often a small write checks that the store can commit; /readyz is 503 while it cannot.",
    },
    eventTtlMs: {
      flag: "event-ttl-ms",
      env: env("EVENT_TTL_MS"),
      kind: "integer",
      default: "3600000",
      min: 0,
      description: "Events older than this are dropped.",
    },
    maxEvents: {
      flag: "max-events",
      env: env("MAX_EVENTS"),
      kind: "integer",
      default: "10000",
      min: 1,
      description: "At most this many events are kept (oldest dropped first).",
    },
    ...serveSettings(runtime),
  } as const satisfies SettingDefinitions;
}
