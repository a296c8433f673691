import { Code, ConnectError } from "@connectrpc/connect";
import { BackendUnavailableError } from "@iri/backend-api";
import { StoreError } from "@iri/store";
import type { Logger } from "./logging.js";
import { collectSecretValues, scrubSecretValues } from "./redact.js";

/**
 * An error whose code and message are meant for the client. Handlers and backends throw these; everything
 * else that escapes a handler is a bug and reaches the client only as Internal "internal error".
 * The message goes to the poollet and into Kubernetes events: it must never carry a secret.
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";

  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const invalidArgument = (message: string) => new ProviderError(Code.InvalidArgument, message);
export const notFound = (message: string) => new ProviderError(Code.NotFound, message);
export const alreadyExists = (message: string) => new ProviderError(Code.AlreadyExists, message);
export const failedPrecondition = (message: string) => new ProviderError(Code.FailedPrecondition, message);
export const resourceExhausted = (message: string) => new ProviderError(Code.ResourceExhausted, message);
export const unavailable = (message: string) => new ProviderError(Code.Unavailable, message);

const STORE_CODES: Record<StoreError["code"], Code> = {
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  // Lost an optimistic-concurrency race: the client may retry the call as it is.
  Conflict: Code.Aborted,
  Unavailable: Code.Unavailable,
};

export interface ToConnectErrorContext {
  /** The RPC, for the log line of an unexpected error. */
  rpc?: string;
  /**
   * The request message: values under its secret-bearing keys (also base64/hex forms) are scrubbed from the
   * logged message and stack, in case a handler put request data into an error.
   */
  request?: unknown;
}

/**
 * The one mapping from what a handler throws to what the client sees. Unexpected errors are logged with their
 * stack (once, here) and answered as Internal "internal error", so internals never leak to the client.
 */
export function toConnectError(
  err: unknown,
  logger: Logger,
  context: ToConnectErrorContext = {},
): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof ProviderError) return new ConnectError(clientMessage(err.message), err.code);
  if (err instanceof StoreError) return new ConnectError(clientMessage(err.message), STORE_CODES[err.code]);
  // The backend's infrastructure is down (e.g. Status asking Ceph for capacity): the call may be retried.
  if (err instanceof BackendUnavailableError)
    return new ConnectError(clientMessage(err.message), Code.Unavailable);
  const secrets = context.request === undefined ? [] : collectSecretValues(context.request);
  logger.error({ rpc: context.rpc, err: describe(err, secrets, 0) }, "unexpected error in handler");
  return new ConnectError("internal error", Code.Internal);
}

/** Messages travel in the grpc-message header; a hostile input echoed into one must not blow up the header. */
const MAX_MESSAGE_LENGTH = 1024;

function clientMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH)}…`;
}

interface ErrorDescription {
  type: string;
  message: string;
  stack?: string;
  cause?: ErrorDescription;
}

const MAX_CAUSES = 4;

/** Only name, message, stack and causes: other properties may hold request data under innocent keys. */
function describe(err: unknown, secrets: readonly string[], depth: number): ErrorDescription {
  if (!(err instanceof Error)) return { type: typeof err, message: scrubSecretValues(String(err), secrets) };
  const description: ErrorDescription = { type: err.name, message: scrubSecretValues(err.message, secrets) };
  if (err.stack !== undefined) description.stack = scrubSecretValues(err.stack, secrets);
  if (err.cause !== undefined && depth < MAX_CAUSES)
    description.cause = describe(err.cause, secrets, depth + 1);
  return description;
}
