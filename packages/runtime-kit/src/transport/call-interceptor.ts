import { Code, type Interceptor } from "@connectrpc/connect";
import { toConnectError } from "../errors.js";
import type { Logger } from "../logging.js";
import type { ProviderMetrics } from "../metrics.js";
import { validateRequestLimits } from "./request-limits.js";

/** Codes that mean the provider, not the caller, is at fault. */
const SERVER_FAULTS = new Set<Code>([Code.Internal, Code.Unknown, Code.DataLoss]);

/**
 * Wraps every call: checks the request's metadata limits (validateRequestLimits), maps whatever the handler throws through toConnectError (so a bug answers Internal and the
 * process keeps serving), writes one log line (rpc, code, duration; never request or response bodies) and
 * counts the call in the metrics.
 */
export function createCallInterceptor(logger: Logger, metrics: ProviderMetrics | undefined): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const rpc = `${req.service.typeName}/${req.method.name}`;
    let code: Code | undefined;
    try {
      if (!req.stream) validateRequestLimits(req.method.input, req.message);
      return await next(req);
    } catch (err) {
      const connectError = toConnectError(err, logger, {
        rpc,
        request: req.stream ? undefined : req.message,
      });
      code = connectError.code;
      throw connectError;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const codeName = code === undefined ? "OK" : Code[code];
      metrics?.observeRequest(req.method.name, codeName, seconds);
      const line = { rpc, code: codeName, durationMs: Math.round(seconds * 1e6) / 1000 };
      if (code !== undefined && SERVER_FAULTS.has(code)) logger.warn(line, "rpc");
      else logger.info(line, "rpc");
    }
  };
}
