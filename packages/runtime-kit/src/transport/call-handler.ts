import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError, type ConnectRouter, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "../logging.js";
import { CallTurns } from "./call-turns.js";
import { guardRequest, guardResponseBody } from "./connection-guard.js";
import { type PreparedResponseSlot, preparedBody, preparedResponseKey } from "./prepared-response.js";
import { budgetRequestFields } from "./request-budget.js";

// In place of connect-node's connectNodeAdapter, with the same two public functions of connect-node it is
// built from: the request and response bodies are async iterables here, so the field budget, the prepared
// List bodies, the stall guard and the size measurement wrap them instead of patching Node's request and
// response objects. transport/connect-contract.spec.ts pins what this relies on to the connect version.

export interface CallHandlerOptions {
  /** connect's router with the runtime service registered (gRPC only). */
  router: ConnectRouter;
  logger: Logger;
  maxRequestBytes: number;
  streamStallTimeoutMs: number;
  /** Called with the size of each List response message as written (without its 5-byte length prefix). */
  onListResponse: (method: string, bytes: number) => void;
}

/** The length-prefix of one gRPC message on the wire. */
const GRPC_ENVELOPE_BYTES = 5;
/** The content types whose responses are binary protobuf, the only ones a prepared body can answer. */
const BINARY_CONTENT_TYPES = new Set(["application/grpc", "application/grpc+proto"]);
/**
 * The calls answered as soon as they arrive, without a turn (call-turns.ts): what a poollet's pool sync asks,
 * cheap and bounded in size. Every other unary call (creates, deletes, updates, Lists of objects) takes turns.
 */
const ANSWERED_INLINE = /^(Status|Version|List\w*Classes)$/;

/** A node:http2 request listener that serves every call of the router's handlers. */
export function createCallHandler(
  options: CallHandlerOptions,
): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const { logger } = options;
  const handlers = new Map<string, UniversalHandler>();
  for (const handler of options.router.handlers) handlers.set(handler.requestPath, handler);
  const turns = new CallTurns();

  return (req, res) => {
    guardRequest(req, options.streamStallTimeoutMs);
    const handler = handlers.get(req.url.split("?", 1)[0] ?? "");
    if (handler === undefined) {
      // What connect-node answers for a path it does not serve; gRPC clients read 404 as Unimplemented.
      res.writeHead(404);
      res.end();
      return;
    }
    const slot: PreparedResponseSlot | undefined = BINARY_CONTENT_TYPES.has(req.headers["content-type"] ?? "")
      ? {}
      : undefined;
    // Whatever becomes of the call (answered, failed, reset), the transport holds no prepared bytes after it.
    if (slot !== undefined) {
      res.once("close", () => {
        slot.closed = true;
        slot.onClosed?.();
      });
    }
    const request = universalRequestFromNodeRequest(
      req,
      res,
      undefined,
      createContextValues().set(preparedResponseKey, slot),
    );
    if (handler.method.methodKind === "unary") {
      request.body = budgetRequestFields(
        request.body as AsyncIterable<Uint8Array>,
        handler.method.input,
        options.maxRequestBytes,
      );
    }
    // A turn is taken before connect reads and decodes the request: decoding is part of the work it bounds.
    const takesTurn = handler.method.methodKind === "unary" && !ANSWERED_INLINE.test(handler.method.name);
    (takesTurn ? turns.take().then(() => handler(request)) : handler(request))
      .then((response) => {
        let body = slot?.enveloped === undefined ? response.body : preparedBody(response, slot.enveloped);
        if (body === undefined) return universalResponseToNodeResponse(response, res);
        if (handler.method.name.startsWith("List")) {
          const listed = { bytes: 0 };
          body = countBytes(body, listed);
          // Reported once the response is out, so that a warning about it never delays it.
          res.once("finish", () => reportListSize(handler.method.name, listed.bytes));
        }
        body = guardResponseBody(body, req.stream, options.streamStallTimeoutMs);
        // Settles only on failure: it waits for an "end" event that Node's HTTP/2 responses do not emit.
        return universalResponseToNodeResponse({ ...response, body } satisfies UniversalServerResponse, res);
      })
      .catch((reason: unknown) => {
        // Connect answers a handler's errors in the response; what lands here is the response failing to be
        // written, because the client's stream or connection went away (reset, closed, cut by a guard).
        // Routine for a long-running server, so not a warning.
        const code = Code[ConnectError.from(reason).code];
        logger.debug({ rpc: handler.method.name, code }, "response not written");
      });
  };

  function reportListSize(method: string, wireBytes: number): void {
    if (wireBytes >= GRPC_ENVELOPE_BYTES) options.onListResponse(method, wireBytes - GRPC_ENVELOPE_BYTES);
  }
}

/** Counts the bytes of a body as they pass, without serialising the message a second time. */
async function* countBytes(
  body: AsyncIterable<Uint8Array>,
  count: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    count.bytes += chunk.byteLength;
    yield chunk;
  }
}
