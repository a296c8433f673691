import type { Logger } from "./logging.js";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

export interface ShutdownOptions {
  /** Where signals come from; default `process`. Tests pass an EventEmitter. */
  source?: Pick<NodeJS.Process, "on" | "off">;
  /** How to end the process; default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * On the first SIGTERM or SIGINT runs `handler` (close the server, stop controllers, close the database) and
 * exits 0, or 1 if the handler fails. A second signal while the handler runs exits 1 at once: an operator
 * pressing Ctrl-C twice means it. Returns a function that removes the signal handlers.
 */
export function onShutdownSignal(
  handler: () => Promise<void>,
  logger: Logger,
  options: ShutdownOptions = {},
): () => void {
  const source = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, "second signal during shutdown, exiting now");
      exit(1);
      return;
    }
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
    Promise.resolve()
      .then(handler)
      .then(
        () => {
          logger.info("shutdown complete");
          exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          exit(1);
        },
      );
  };
  for (const signal of SIGNALS) source.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) source.off(signal, onSignal);
  };
}
