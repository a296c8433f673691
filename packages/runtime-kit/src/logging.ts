import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import { redactSecrets } from "./redact.js";

export type { Logger } from "pino";

export interface LoggerConfig {
  /** pino level name; default "info". */
  level?: string;
  /** Written into every line as `name` (e.g. "bucket-provider"). */
  name?: string;
  /** Where JSON lines go; default stdout. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

/**
 * A pino logger writing one JSON object per line, with every logged object and every child binding passed
 * through `redactSecrets` (secret-bearing keys at any depth). Message strings are not inspected: never
 * interpolate secrets into them.
 */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactSecrets(object) as Record<string, unknown>,
    },
    // redactSecrets has already turned errors into plain objects; pino's serializer would re-type them.
    serializers: { err: (value: unknown) => value },
  };
  if (config.name !== undefined) options.name = config.name;
  const logger = config.destination ? pino(options, config.destination) : pino(options);
  // pino applies no formatter to child bindings; children inherit this override through their prototype chain.
  const child = logger.child;
  Object.defineProperty(logger, "child", {
    value: function redactingChild(this: Logger, bindings: Record<string, unknown>, opts?: object) {
      return child.call(this, redactSecrets(bindings) as Record<string, unknown>, opts);
    },
  });
  return logger;
}
