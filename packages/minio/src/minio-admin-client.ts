import { SignedClient, type SignedClientOptions, type SignedRequest } from "@iri/sigv4-fetch";
import { decryptAdminBody, encryptAdminBody } from "./admin-body-crypto.js";
import { MinioAdminError } from "./minio-errors.js";

const PREFIX = "/minio/admin/v3";

export interface MinioUser {
  readonly accessKey: string;
  /** Canned policies attached to the user, comma-separated by MinIO. */
  readonly policyName: string;
  readonly status: "enabled" | "disabled";
}

/** An IAM policy document (`{"Version": "2012-10-17", "Statement": [...]}`). */
export type PolicyDocument = Readonly<Record<string, unknown>>;

/**
 * The MinIO admin API (`/minio/admin/v3/...`) as far as per-bucket identities need it: users, canned
 * policies and their attachment, bucket quotas. Requests are signed with the root (or an admin) key; bodies
 * that carry secrets travel encrypted with that key's secret (see admin-body-crypto.ts).
 */
export class MinioAdminClient {
  private readonly http: SignedClient;
  private readonly secretKey: string;

  constructor(options: SignedClientOptions) {
    this.http = new SignedClient(options);
    this.secretKey = options.credentials.secretAccessKey;
  }

  /** Creates the user, or sets the secret and status of an existing one. */
  async putUser(
    accessKey: string,
    secretKey: string,
    status: "enabled" | "disabled",
    signal?: AbortSignal,
  ): Promise<void> {
    const body = await encryptAdminBody(
      this.secretKey,
      new TextEncoder().encode(JSON.stringify({ secretKey, status })),
    );
    await this.call({ method: "PUT", path: `${PREFIX}/add-user`, query: { accessKey }, body, signal });
  }

  async setUserStatus(
    accessKey: string,
    status: "enabled" | "disabled",
    signal?: AbortSignal,
  ): Promise<void> {
    await this.call({
      method: "PUT",
      path: `${PREFIX}/set-user-status`,
      query: { accessKey, status },
      signal,
    });
  }

  /** The user, or undefined when there is none. */
  async getUser(accessKey: string, signal?: AbortSignal): Promise<MinioUser | undefined> {
    try {
      const raw = JSON.parse(
        await this.text({ method: "GET", path: `${PREFIX}/user-info`, query: { accessKey }, signal }),
      ) as RawUser;
      return toUser(accessKey, raw);
    } catch (error) {
      if (error instanceof MinioAdminError && error.code === "XMinioAdminNoSuchUser") return undefined;
      throw error;
    }
  }

  /** Every internal (IAM) user; the answer travels encrypted. */
  async listUsers(signal?: AbortSignal): Promise<MinioUser[]> {
    const response = await this.call({ method: "GET", path: `${PREFIX}/list-users`, signal });
    const raw = JSON.parse(
      new TextDecoder().decode(await decryptAdminBody(this.secretKey, response)),
    ) as Record<string, RawUser>;
    return Object.entries(raw).map(([accessKey, user]) => toUser(accessKey, user));
  }

  /** Removes the user; an absent user is not an error. */
  async removeUser(accessKey: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call({ method: "DELETE", path: `${PREFIX}/remove-user`, query: { accessKey }, signal });
    } catch (error) {
      if (error instanceof MinioAdminError && error.code === "XMinioAdminNoSuchUser") return;
      throw error;
    }
  }

  /** Creates or replaces a canned policy. */
  async putPolicy(name: string, document: PolicyDocument, signal?: AbortSignal): Promise<void> {
    const body = new TextEncoder().encode(JSON.stringify(document));
    await this.call({ method: "PUT", path: `${PREFIX}/add-canned-policy`, query: { name }, body, signal });
  }

  /** Every canned policy by name. */
  async listPolicies(signal?: AbortSignal): Promise<Record<string, PolicyDocument>> {
    return JSON.parse(await this.text({ method: "GET", path: `${PREFIX}/list-canned-policies`, signal }));
  }

  /** Removes a canned policy; an absent one is not an error. */
  async removePolicy(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call({ method: "DELETE", path: `${PREFIX}/remove-canned-policy`, query: { name }, signal });
    } catch (error) {
      if (error instanceof MinioAdminError && error.code === "XMinioAdminNoSuchPolicy") return;
      throw error;
    }
  }

  /** Makes `policyName` the user's only policy. */
  async setUserPolicy(accessKey: string, policyName: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: "PUT",
      path: `${PREFIX}/set-user-or-group-policy`,
      query: { policyName, userOrGroup: accessKey, isGroup: "false" },
      signal,
    });
  }

  /** A hard size quota on the bucket (0 removes it). */
  async setBucketQuota(bucket: string, maxBytes: number, signal?: AbortSignal): Promise<void> {
    const quota =
      maxBytes > 0 ? { size: maxBytes, quota: maxBytes, quotatype: "hard" } : { size: 0, quota: 0 };
    const body = new TextEncoder().encode(JSON.stringify(quota));
    await this.call({ method: "PUT", path: `${PREFIX}/set-bucket-quota`, query: { bucket }, body, signal });
  }

  /** The bucket's hard size quota in bytes; 0 when it has none. */
  async getBucketQuota(bucket: string, signal?: AbortSignal): Promise<number> {
    const raw = JSON.parse(
      await this.text({ method: "GET", path: `${PREFIX}/get-bucket-quota`, query: { bucket }, signal }),
    ) as { size?: number; quota?: number };
    return raw.size || raw.quota || 0;
  }

  private async text(request: SignedRequest): Promise<string> {
    return new TextDecoder().decode(await this.call(request));
  }

  private async call(request: SignedRequest): Promise<Uint8Array> {
    const response = await this.http.send(request);
    if (response.status >= 300) {
      const { code, message } = errorOf(new TextDecoder().decode(response.body), response.status);
      throw new MinioAdminError(
        response.status,
        code,
        `MinIO admin ${request.path.slice(PREFIX.length + 1)}: ${code}: ${message}`,
      );
    }
    return response.body;
  }
}

interface RawUser {
  policyName?: string;
  status?: string;
}

function toUser(accessKey: string, raw: RawUser): MinioUser {
  return {
    accessKey,
    policyName: raw.policyName ?? "",
    status: raw.status === "disabled" ? "disabled" : "enabled",
  };
}

// Admin errors come as JSON {"Code", "Message", ...}; S3-layer errors (e.g. a bad signature) as XML.
function errorOf(text: string, status: number): { code: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { Code?: unknown; Message?: unknown };
    if (typeof parsed.Code === "string") return { code: parsed.Code, message: String(parsed.Message ?? "") };
  } catch {
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    if (code) return { code, message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "" };
  }
  return { code: `HTTP${status}`, message: text.slice(0, 200) };
}
