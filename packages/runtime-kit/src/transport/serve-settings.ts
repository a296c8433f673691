import type { RuntimeKind } from "../settings/common-settings.js";
import { type SettingDefinition, SettingsError, type SettingValues } from "../settings/settings.js";

/**
 * The transport limits of the gRPC socket, one setting each. grpc-go's defaults where it has one (4 MiB
 * receive limit, 20 s ping ack timeout); the rest bound what a client that never talks, never reads or never
 * finishes a request can hold (docs/decisions.md, "Transport limits").
 */
export function serveSettings(runtime: RuntimeKind) {
  const env = (name: string) => `IRI_${runtime.toUpperCase()}_PROVIDER_${name}`;
  return {
    maxRequestBytes: {
      flag: "max-request-bytes",
      env: env("MAX_REQUEST_BYTES"),
      kind: "integer",
      default: String(4 * 1024 * 1024),
      description: "Largest request message accepted (after decompression); larger → ResourceExhausted.",
    },
    maxConnections: {
      flag: "max-connections",
      env: env("MAX_CONNECTIONS"),
      kind: "integer",
      default: "512",
      description: "Connections served at once; further ones are closed at accept.",
    },
    maxConcurrentStreams: {
      flag: "max-concurrent-streams",
      env: env("MAX_CONCURRENT_STREAMS"),
      kind: "integer",
      default: "100",
      description: "HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls in flight per connection.",
    },
    handshakeTimeoutMs: {
      flag: "handshake-timeout-ms",
      env: env("HANDSHAKE_TIMEOUT_MS"),
      kind: "integer",
      default: "10000",
      description: "A connection that has not sent the HTTP/2 preface and SETTINGS by then is closed.",
    },
    idleTimeoutMs: {
      flag: "idle-timeout-ms",
      env: env("IDLE_TIMEOUT_MS"),
      kind: "integer",
      default: "300000",
      description: "A connection without a call for this long is sent GOAWAY (clients reconnect on demand).",
    },
    keepaliveIntervalMs: {
      flag: "keepalive-interval-ms",
      env: env("KEEPALIVE_INTERVAL_MS"),
      kind: "integer",
      default: "60000",
      description: "The server pings every connection this often; 0 disables pings.",
    },
    keepaliveTimeoutMs: {
      flag: "keepalive-timeout-ms",
      env: env("KEEPALIVE_TIMEOUT_MS"),
      kind: "integer",
      default: "20000",
      description: "A connection whose ping is not acknowledged within this is closed.",
    },
    streamStallTimeoutMs: {
      flag: "stream-stall-timeout-ms",
      env: env("STREAM_STALL_TIMEOUT_MS"),
      kind: "integer",
      default: "30000",
      description:
        "A call whose request has not fully arrived, or whose response the client has not read, for this long is reset.",
    },
  } as const satisfies Record<string, SettingDefinition>;
}

export type ServeLimits = SettingValues<ReturnType<typeof serveSettings>>;

/** The defaults of serveSettings, as numbers. */
export const DEFAULT_SERVE_LIMITS: ServeLimits = Object.fromEntries(
  Object.entries(serveSettings("machine")).map(([key, def]) => [key, Number(def.default)]),
) as ServeLimits;

/**
 * The limits with defaults filled in. Rejects (SettingsError: exit 2 at start) values that would switch a bound
 * off; only pings may be disabled.
 */
export function resolveServeLimits(overrides: Partial<ServeLimits> = {}): ServeLimits {
  const limits = { ...DEFAULT_SERVE_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof ServeLimits, number | undefined][]) {
    if (value !== undefined) limits[key] = value;
  }
  for (const [key, value] of Object.entries(limits) as [keyof ServeLimits, number][]) {
    const mayBeZero = key === "keepaliveIntervalMs";
    if (!Number.isSafeInteger(value) || value < 0 || (value === 0 && !mayBeZero)) {
      const flag = serveSettings("machine")[key].flag;
      throw new SettingsError(`--${flag} must be a positive integer, got ${value}`);
    }
  }
  return limits;
}
