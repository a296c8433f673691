// A small HTTP(S) server in front of the real registry that adds what the real one cannot do on demand:
// Basic or Bearer auth (with a token endpoint), TLS with a test CA, and corrupted or truncated content.
import { randomBytes } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface ProxyOptions {
  readonly upstream: string;
  readonly auth?:
    | { readonly kind: "basic"; readonly username: string; readonly password: string }
    | {
        readonly kind: "bearer";
        /** Credentials the token endpoint requires; anonymous tokens when absent. */
        readonly username?: string;
        readonly password?: string;
        readonly expiresIn?: number;
      };
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * Answers blob GETs with a 307 to a second server (another origin, like a registry's object storage),
   * which serves the blob from upstream without auth and records the Authorization headers it got.
   */
  readonly redirectBlobs?: boolean;
  /** Rewrites upstream bodies of blob or manifest GETs. */
  readonly corrupt?: { readonly blobs?: "flip-byte" | "truncate" | "reset"; readonly manifests?: boolean };
}

export interface RegistryProxy {
  /** `127.0.0.1:<port>`. */
  readonly addr: string;
  /** Each token request's query and whether it carried the right basic credentials. */
  readonly tokenRequests: { scope: string | null; service: string | null; authenticated: boolean }[];
  /** Each request's Authorization header to the /v2/ API (undefined when none). */
  readonly authorizations: (string | undefined)[];
  /** With `redirectBlobs`: the Authorization header of each request to the storage server. */
  readonly storageAuthorizations: (string | undefined)[];
  close(): Promise<void>;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export async function startRegistryProxy(options: ProxyOptions): Promise<RegistryProxy> {
  const tokens = new Set<string>();
  const tokenRequests: RegistryProxy["tokenRequests"] = [];
  const authorizations: RegistryProxy["authorizations"] = [];
  const storageAuthorizations: RegistryProxy["storageAuthorizations"] = [];
  const storage = options.redirectBlobs
    ? createHttpServer((request, response) => {
        storageAuthorizations.push(request.headers.authorization);
        void forward(request, response, new URL(request.url ?? "/", "http://storage"));
      })
    : undefined;
  const scheme = options.tls ? "https" : "http";
  let addr = "";

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? "/", `${scheme}://${addr}`);
    const auth = options.auth;
    if (url.pathname === "/token" && auth?.kind === "bearer") {
      const authenticated =
        auth.username !== undefined &&
        request.headers.authorization === basic(auth.username, auth.password ?? "");
      tokenRequests.push({
        scope: url.searchParams.get("scope"),
        service: url.searchParams.get("service"),
        authenticated,
      });
      if (auth.username !== undefined && !authenticated) {
        response.writeHead(401).end();
        return;
      }
      const token = randomBytes(16).toString("hex");
      tokens.add(token);
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ token, expires_in: auth.expiresIn ?? 300 }));
      return;
    }
    authorizations.push(request.headers.authorization);
    if (auth?.kind === "basic" && request.headers.authorization !== basic(auth.username, auth.password)) {
      response.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      return;
    }
    if (auth?.kind === "bearer") {
      const presented = request.headers.authorization?.replace(/^Bearer /, "");
      if (presented === undefined || !tokens.has(presented)) {
        const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1];
        response
          .writeHead(401, {
            "www-authenticate": `Bearer realm="${scheme}://${addr}/token",service="test-registry",scope="repository:${repo}:pull"`,
          })
          .end();
        return;
      }
    }
    if (storage !== undefined && url.pathname.includes("/blobs/")) {
      const { port } = storage.address() as AddressInfo;
      response.writeHead(307, { location: `http://127.0.0.1:${port}${url.pathname}` }).end();
      return;
    }
    void forward(request, response, url);
  };

  const forward = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const upstream = await fetch(`http://${options.upstream}${url.pathname}${url.search}`, {
      method: request.method ?? "GET",
      headers: { accept: request.headers.accept ?? "*/*" },
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "docker-content-digest", "docker-distribution-api-version"]) {
      const value = upstream.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const isBlob = url.pathname.includes("/blobs/") && upstream.ok;
    const isManifest = url.pathname.includes("/manifests/") && upstream.ok;
    let out = body;
    if (isManifest && options.corrupt?.manifests) out = Buffer.concat([body, Buffer.from("\n")]);
    if (isBlob && body.length > 0 && options.corrupt?.blobs === "flip-byte") {
      out = Buffer.from(body);
      out[out.length - 1] = (out[out.length - 1] as number) ^ 0xff;
    }
    if (isBlob && options.corrupt?.blobs === "truncate") out = body.subarray(0, Math.floor(body.length / 2));
    if (isBlob && options.corrupt?.blobs === "reset") {
      // Announce the full length, send half, then drop the connection.
      response.writeHead(upstream.status, { ...headers, "content-length": String(body.length) });
      response.write(body.subarray(0, Math.floor(body.length / 2)), () => response.socket?.destroy());
      return;
    }
    response.writeHead(upstream.status, { ...headers, "content-length": String(out.length) });
    response.end(out);
  };

  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  for (const listening of storage ? [server, storage] : [server]) {
    await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  }
  addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    addr,
    tokenRequests,
    authorizations,
    storageAuthorizations,
    close: async () => {
      for (const listening of storage ? [server, storage] : [server]) {
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
      }
    },
  };
}
