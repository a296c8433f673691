import { SignedClient, type SignedClientOptions, type SignedRequest } from "@iri/sigv4-fetch";
import { RgwAdminError } from "./rgw-errors.js";

export interface RgwKey {
  readonly user: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface RgwUser {
  readonly uid: string;
  readonly displayName: string;
  readonly suspended: boolean;
  readonly keys: readonly RgwKey[];
  /** The user quota, as GET /admin/user reports it with the user (absent when a gateway leaves it out). */
  readonly quota?: RgwQuota & { readonly enabled: boolean };
}

export interface RgwBucketStats {
  readonly bucket: string;
  readonly owner: string;
  readonly numObjects: number;
  readonly sizeBytes: number;
}

export interface RgwQuota {
  /** -1: unlimited. */
  readonly maxSizeBytes: number;
  /** -1: unlimited. */
  readonly maxObjects: number;
}

/**
 * The RADOS Gateway admin ops API (`/admin/...`), as far as per-bucket identities need it: users and their
 * keys, user quotas, bucket stats and removal. The signing user needs the caps `users=*;buckets=*`.
 */
export class RgwAdminClient {
  private readonly http: SignedClient;

  constructor(options: SignedClientOptions) {
    this.http = new SignedClient(options);
  }

  /** Creates a user with one generated S3 key; fails with code UserAlreadyExists when the uid is taken. */
  async createUser(uid: string, displayName: string, signal?: AbortSignal): Promise<RgwUser> {
    return toUser(
      await this.call({
        method: "PUT",
        path: "/admin/user",
        query: {
          uid,
          "display-name": displayName,
          "key-type": "s3",
          "generate-key": "true",
          "max-buckets": "1",
        },
        signal,
      }),
    );
  }

  /** The user, or undefined when there is none. */
  async getUser(uid: string, signal?: AbortSignal): Promise<RgwUser | undefined> {
    try {
      return toUser(await this.call({ method: "GET", path: "/admin/user", query: { uid }, signal }));
    } catch (error) {
      if (error instanceof RgwAdminError && error.code === "NoSuchUser") return undefined;
      throw error;
    }
  }

  /** Every user id (paged through the metadata listing). */
  async listUserIds(signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    let marker: string | undefined;
    do {
      const page = (await this.call({
        method: "GET",
        path: "/admin/user",
        query: { list: "", "max-entries": "1000", ...(marker ? { marker } : {}) },
        signal,
      })) as { keys?: string[]; truncated?: boolean; marker?: string };
      ids.push(...(page.keys ?? []));
      marker = page.truncated ? page.marker : undefined;
    } while (marker);
    return ids;
  }

  /** Adds a new generated S3 key to a user (after a crash lost the only copy of its secret). */
  async createKey(uid: string, signal?: AbortSignal): Promise<RgwKey[]> {
    const keys = (await this.call({
      method: "PUT",
      path: "/admin/user",
      query: { key: "", uid, "key-type": "s3", "generate-key": "true" },
      signal,
    })) as RawKey[];
    return keys.map(toKey);
  }

  async removeKey(uid: string, accessKey: string, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: "DELETE",
      path: "/admin/user",
      query: { key: "", uid, "access-key": accessKey, "key-type": "s3" },
      signal,
    });
  }

  async setSuspended(uid: string, suspended: boolean, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: "POST",
      path: "/admin/user",
      query: { uid, suspended: String(suspended) },
      signal,
    });
  }

  /** Removes a user; idempotent (an absent user is not an error). */
  async removeUser(uid: string, options: { purgeData: boolean }, signal?: AbortSignal): Promise<void> {
    try {
      await this.call({
        method: "DELETE",
        path: "/admin/user",
        query: { uid, "purge-data": String(options.purgeData) },
        signal,
      });
    } catch (error) {
      if (error instanceof RgwAdminError && error.code === "NoSuchUser") return;
      throw error;
    }
  }

  /** Sets and enables the user quota (all of a user's buckets together). */
  async setUserQuota(uid: string, quota: RgwQuota, signal?: AbortSignal): Promise<void> {
    await this.call({
      method: "PUT",
      path: "/admin/user",
      query: {
        quota: "",
        uid,
        "quota-type": "user",
        "max-size": String(quota.maxSizeBytes),
        "max-objects": String(quota.maxObjects),
        enabled: "true",
      },
      signal,
    });
  }

  async getUserQuota(uid: string, signal?: AbortSignal): Promise<RgwQuota & { enabled: boolean }> {
    const raw = (await this.call({
      method: "GET",
      path: "/admin/user",
      query: { quota: "", uid, "quota-type": "user" },
      signal,
    })) as RawQuota;
    return toQuota(raw);
  }

  /** The bucket's owner and usage, or undefined when there is no such bucket. */
  async getBucket(bucket: string, signal?: AbortSignal): Promise<RgwBucketStats | undefined> {
    try {
      const raw = (await this.call({
        method: "GET",
        path: "/admin/bucket",
        query: { bucket, stats: "true" },
        signal,
      })) as RawBucket;
      const usage = raw.usage?.["rgw.main"];
      return {
        bucket: raw.bucket,
        owner: raw.owner,
        numObjects: usage?.num_objects ?? 0,
        sizeBytes: usage?.size_actual ?? usage?.size ?? 0,
      };
    } catch (error) {
      if (error instanceof RgwAdminError && error.code === "NoSuchBucket") return undefined;
      throw error;
    }
  }

  /**
   * Removes a bucket; without `purgeObjects` a bucket that still holds objects is refused with code
   * BucketNotEmpty. An absent bucket is not an error.
   */
  async removeBucket(
    bucket: string,
    options: { purgeObjects: boolean },
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await this.call({
        method: "DELETE",
        path: "/admin/bucket",
        query: { bucket, "purge-objects": String(options.purgeObjects) },
        signal,
      });
    } catch (error) {
      if (error instanceof RgwAdminError && error.code === "NoSuchBucket") return;
      throw error;
    }
  }

  private async call(request: SignedRequest): Promise<unknown> {
    const query = { ...request.query, format: "json" };
    const response = await this.http.send({ ...request, query });
    const text = new TextDecoder().decode(response.body);
    if (response.status >= 300) {
      const code = errorCode(text) ?? `HTTP${response.status}`;
      throw new RgwAdminError(response.status, code, `RGW admin ${request.method} ${request.path}: ${code}`);
    }
    return text === "" ? undefined : JSON.parse(text);
  }
}

interface RawKey {
  user: string;
  access_key: string;
  secret_key: string;
}

interface RawQuota {
  enabled: boolean;
  max_size: number;
  max_objects: number;
}

interface RawBucket {
  bucket: string;
  owner: string;
  usage?: Record<string, { num_objects?: number; size?: number; size_actual?: number }>;
}

function toKey(raw: RawKey): RgwKey {
  return { user: raw.user, accessKey: raw.access_key, secretKey: raw.secret_key };
}

function toUser(raw: unknown): RgwUser {
  const user = raw as {
    user_id: string;
    display_name: string;
    suspended: number;
    keys?: RawKey[];
    user_quota?: RawQuota;
  };
  return {
    uid: user.user_id,
    displayName: user.display_name,
    suspended: user.suspended !== 0,
    keys: (user.keys ?? []).map(toKey),
    ...(user.user_quota ? { quota: toQuota(user.user_quota) } : {}),
  };
}

function toQuota(raw: RawQuota): RgwQuota & { enabled: boolean } {
  return { enabled: raw.enabled, maxSizeBytes: raw.max_size, maxObjects: raw.max_objects };
}

// RGW reports errors as {"Code": "...", ...} in JSON; a proxy in between may answer with anything else.
function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { Code?: unknown };
    return typeof parsed.Code === "string" ? parsed.Code : undefined;
  } catch {
    return undefined;
  }
}
