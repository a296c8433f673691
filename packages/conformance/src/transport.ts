// A gRPC transport to the runtime under test that the suite can close when it is done, and that bounds every
// call with a deadline so a hung provider fails a case instead of hanging the run.
import { connect } from "node:net";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { parseAddress } from "@iri/api";

export interface ClosableTransport {
  transport: Transport;
  close(): void;
}

export function createClosableTransport(target: string, rpcTimeoutMs: number): ClosableTransport {
  const address = parseAddress(target);
  const sessionManager =
    address.kind === "unix"
      ? new Http2SessionManager("http://localhost", undefined, {
          createConnection: () => connect(address.path),
        })
      : new Http2SessionManager(
          `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`,
        );
  const transport = createGrpcTransport({
    baseUrl: sessionManager.authority,
    sessionManager,
    defaultTimeoutMs: rpcTimeoutMs,
  });
  return { transport, close: () => sessionManager.abort() };
}
