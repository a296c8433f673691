// A gRPC client for IRI runtimes, speaking the same wire protocol as the poollets (plaintext HTTP/2 gRPC).
import { connect } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

export type RuntimeAddress = { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number };

/**
 * Parses a gRPC target the way the poollets pass it: `unix:///abs/path.sock`, `unix:/abs/path.sock`,
 * a bare absolute path, or `host:port`.
 */
export function parseAddress(target: string): RuntimeAddress {
  if (target.startsWith("unix://")) return { kind: "unix", path: target.slice("unix://".length) };
  if (target.startsWith("unix:")) return { kind: "unix", path: target.slice("unix:".length) };
  if (target.startsWith("/")) return { kind: "unix", path: target };
  const m = /^(.*):(\d+)$/.exec(target);
  if (!m?.[1] || !m[2]) throw new Error(`invalid runtime address ${JSON.stringify(target)}`);
  return { kind: "tcp", host: m[1].replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

export function createRuntimeTransport(target: string): Transport {
  const address = parseAddress(target);
  if (address.kind === "tcp") {
    return createGrpcTransport({ baseUrl: `http://${address.host}:${address.port}` });
  }
  return createGrpcTransport({
    baseUrl: "http://localhost",
    nodeOptions: { createConnection: () => connect(address.path) },
  });
}

export function createRuntimeClient<T extends DescService>(service: T, target: string): Client<T> {
  return createClient(service, createRuntimeTransport(target));
}
