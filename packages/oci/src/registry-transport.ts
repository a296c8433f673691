// HTTP to a registry's /v2/ API: scheme choice, the CA, and the auth handshake (anonymous → challenge →
// basic or bearer token, cached per registry and scope). Credentials only ever go into Authorization headers.
import { type Dispatcher, fetch, type Response } from "undici";
import type { BasicCredentials, CredentialStore } from "./docker-config.js";
import { RegistryUnavailableError, UnauthorizedError } from "./errors.js";
import type { ImageReference } from "./reference.js";
import { statusError, transportError } from "./registry-errors.js";
import { type Challenge, parseChallenge } from "./www-authenticate.js";

export interface RequestOptions {
  readonly accept?: string;
  readonly signal?: AbortSignal;
  /** Names the thing requested in errors, e.g. `manifest 127.0.0.1:5000/os:1.0`. */
  readonly what: string;
}

interface CachedAuthorization {
  readonly header: string;
  readonly expiresAt: number;
}

// Tokens without `expires_in` are valid for 60 s (distribution token spec); refresh a little early.
const DEFAULT_TOKEN_SECONDS = 60;

export class RegistryTransport {
  // `${registry} ${scope}` → a bearer token, or `${registry}` → basic, once a registry asked for it.
  private readonly authorizations = new Map<string, CachedAuthorization>();
  private readonly pendingTokens = new Map<string, Promise<CachedAuthorization>>();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly credentials: CredentialStore,
    private readonly usePlainHttp: (registry: string) => boolean,
    private readonly userAgent: string,
  ) {}

  /** GET `/v2/<repository>/<path>` and return the 2xx response (body unread), or throw a typed error. */
  async get(ref: ImageReference, path: string, options: RequestOptions): Promise<Response> {
    const scheme = this.usePlainHttp(ref.registry) ? "http" : "https";
    const url = `${scheme}://${ref.registry}/v2/${ref.repository}/${path}`;
    const scope = `repository:${ref.repository}:pull`;
    let response = await this.send(url, this.cachedAuthorization(ref.registry, scope), options);
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
      await response.body?.cancel();
      const authorization = await this.answerChallenge(challenge, ref.registry, scope, options);
      response = await this.send(url, authorization, options);
    }
    if (!response.ok) throw await statusError(response, options.what);
    return response;
  }

  private async send(
    url: string,
    authorization: string | undefined,
    options: RequestOptions,
  ): Promise<Response> {
    const headers: Record<string, string> = { "user-agent": this.userAgent };
    if (options.accept !== undefined) headers.accept = options.accept;
    if (authorization !== undefined) headers.authorization = authorization;
    try {
      return await fetch(url, {
        headers,
        signal: options.signal,
        dispatcher: this.dispatcher,
        redirect: "follow",
      });
    } catch (error) {
      throw transportError(error, options.what, options.signal);
    }
  }

  private cachedAuthorization(registry: string, scope: string): string | undefined {
    for (const key of [`${registry} ${scope}`, registry]) {
      const cached = this.authorizations.get(key);
      if (cached !== undefined && cached.expiresAt > Date.now()) return cached.header;
    }
    return undefined;
  }

  private async answerChallenge(
    challenge: Challenge | undefined,
    registry: string,
    scope: string,
    options: RequestOptions,
  ): Promise<string> {
    const credentials = this.credentials.get(registry);
    if (challenge?.scheme === "basic") {
      if (credentials === undefined) {
        throw new UnauthorizedError(
          `${options.what}: the registry wants credentials and none are configured`,
        );
      }
      const header = basicHeader(credentials);
      this.authorizations.set(registry, { header, expiresAt: Number.POSITIVE_INFINITY });
      return header;
    }
    if (challenge?.scheme !== "bearer" || challenge.params.realm === undefined) {
      throw new UnauthorizedError(`${options.what}: HTTP 401 without a usable Basic or Bearer challenge`);
    }
    const key = `${registry} ${scope}`;
    let pending = this.pendingTokens.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(challenge, scope, credentials, options).finally(() =>
        this.pendingTokens.delete(key),
      );
      this.pendingTokens.set(key, pending);
    }
    const authorization = await pending;
    this.authorizations.set(key, authorization);
    return authorization.header;
  }

  private async fetchToken(
    challenge: Challenge,
    scope: string,
    credentials: BasicCredentials | undefined,
    options: RequestOptions,
  ): Promise<CachedAuthorization> {
    const what = `token for ${options.what}`;
    let url: URL;
    try {
      url = new URL(challenge.params.realm as string);
    } catch {
      throw new UnauthorizedError(`${what}: the registry's token realm is not a URL`);
    }
    if (challenge.params.service !== undefined) url.searchParams.set("service", challenge.params.service);
    url.searchParams.set("scope", challenge.params.scope ?? scope);
    const headers: Record<string, string> = { "user-agent": this.userAgent };
    if (credentials !== undefined) headers.authorization = basicHeader(credentials);
    let response: Response;
    try {
      // No caller's signal: callers share one token request, bounded by the dispatcher's timeouts.
      response = await fetch(url, { headers, dispatcher: this.dispatcher });
    } catch (error) {
      throw transportError(error, what, undefined);
    }
    if (!response.ok) {
      const error = await statusError(response, what);
      // A token service's 404 or 400 means it will not issue this token, not that the image is missing.
      throw error instanceof RegistryUnavailableError || error instanceof UnauthorizedError
        ? error
        : new UnauthorizedError(error.message);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw transportError(error, what, undefined);
    }
    const token = typeof body.token === "string" ? body.token : body.access_token;
    if (typeof token !== "string" || token === "")
      throw new UnauthorizedError(`${what}: no token in the answer`);
    const seconds =
      typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + seconds * 900 };
  }
}

function basicHeader({ username, password }: BasicCredentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}
