import http from "node:http";
import https from "node:https";
// The SDK's SHA-256 on node:crypto; its pure-JS one costs a bucket burst more CPU than signing needs.
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedClientOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:7480. */
  readonly endpoint: string;
  readonly credentials: SigV4Credentials;
  /** The signing region; S3-style servers on one site accept "us-east-1". */
  readonly region?: string;
  /** Per-request deadline: an object store that does not answer is reported quickly as unreachable. */
  readonly timeoutMs?: number;
}

export interface SignedRequest {
  readonly method: "GET" | "PUT" | "POST" | "DELETE" | "HEAD";
  readonly path: string;
  /** Query parameters; `""` gives a bare key (`?quota`). */
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** Checked before the request is sent; a request once sent is not cut off (see send). */
  readonly signal?: AbortSignal;
}

export interface SignedResponse {
  readonly status: number;
  readonly body: Uint8Array;
}

/** The service could not be reached or did not answer in time (as opposed to answering with an error). */
export class ServiceUnreachableError extends Error {
  override readonly name = "ServiceUnreachableError";
}

/**
 * Sends SigV4-signed requests (service "s3", with the `x-amz-content-sha256` header RGW insists on) to one
 * endpoint. Signing is the AWS SDK's signer; only the plumbing around Node's HTTP client is ours. Requests go
 * through Node's global agents, which keep connections alive across clients: a client per bucket user costs
 * no connection of its own. Not fetch: its streams and request objects cost twice the CPU per call.
 */
export class SignedClient {
  private readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly timeoutMs: number;

  constructor(options: SignedClientOptions) {
    this.url = new URL(options.endpoint);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.signer = new SignatureV4({
      service: "s3",
      region: options.region ?? "us-east-1",
      credentials: options.credentials,
      sha256: Sha256,
      uriEscapePath: false,
    });
  }

  async send(request: SignedRequest): Promise<SignedResponse> {
    const query = request.query ?? {};
    const headers: Record<string, string> = { host: this.url.host };
    if (request.contentType !== undefined) headers["content-type"] = request.contentType;
    const signed = await this.signer.sign({
      method: request.method,
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port === "" ? undefined : Number(this.url.port),
      path: request.path,
      query: { ...query },
      headers,
      body: request.body,
    });
    const target = new URL(request.path, this.url);
    target.search = encodeQuery(query);
    // An abort stops the caller before a request, never one in flight: a request the store may already be
    // carrying out is waited for (within the timeout), so that whoever acts next (e.g. a delete after an
    // aborted create) sees its effect instead of racing it.
    request.signal?.throwIfAborted();
    try {
      return await this.exchange(target, request.method, signed.headers, request.body);
    } catch (error) {
      throw new ServiceUnreachableError(
        `${request.method} ${this.url.origin}${request.path}: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** One request and its whole answer; fails when there is no complete answer within the timeout. */
  private exchange(
    target: URL,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
  ): Promise<SignedResponse> {
    const client = target.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(target, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
        res.on("error", fail);
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      function fail(error: Error) {
        clearTimeout(timer);
        reject(error);
      }
      req.on("error", fail);
      req.end(body);
    });
  }
}

// Percent-encodes like the signer's canonical query (RFC 3986), so the URL sent is the URL signed.
function encodeQuery(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .sort()
    .map((key) => (query[key] === "" ? rfc3986(key) : `${rfc3986(key)}=${rfc3986(query[key] as string)}`))
    .join("&");
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code) return code;
  return error instanceof Error ? error.message : String(error);
}
