import { bucket } from "@iri/api";
import {
  type ApplyOutcome,
  type BackendContext,
  type BucketBackend,
  type BucketIntent,
  type BucketObservation,
  type ObjectRef,
  type OperationContext,
  type OwnedResource,
  PermanentBackendError,
  type RemoveOutcome,
} from "@iri/backend-api";
import {
  createBucketAs,
  type RgwAdminClient,
  RgwAdminError,
  type RgwKey,
  type RgwQuota,
  type RgwUser,
} from "@iri/rgw";
import { type AccessSettings, bucketAccess } from "./access.js";
import { bucketNameFor } from "./bucket-names.js";
import { type ClassPolicy, classPolicyOf } from "./class-policy.js";
import { formatOwnerTag, parseOwnerTag } from "./owner-tag.js";
import { bucketNotEmpty, placementOf, placementWith } from "./placement.js";
import type { S3ClientSettings } from "./s3-client.js";
import { StoreCalls } from "./store-calls.js";

const LIST_CONCURRENCY = 8;

export interface RgwBackendOptions {
  readonly admin: RgwAdminClient;
  readonly s3: S3ClientSettings;
  readonly access: AccessSettings;
  readonly context: BackendContext;
}

/**
 * Buckets on a RADOS Gateway. Each bucket gets its own RGW user (`iri-<instanceId>-<id>`, at most one
 * bucket, the class quota as user quota) whose display name is the owner tag; the bucket is created with that
 * user's key, so it owns it and no other user's key opens it. The user is made first and removed last, so
 * the users with an owner tag list everything this backend holds.
 */
export class RgwBucketBackend implements BucketBackend {
  readonly name = "rgw";
  private readonly admin: RgwAdminClient;
  private readonly instanceId: string;
  private readonly calls: StoreCalls;

  constructor(private readonly options: RgwBackendOptions) {
    this.admin = options.admin;
    this.instanceId = options.context.owner.instanceId;
    this.calls = new StoreCalls(options.context.metrics, "rgw");
  }

  async apply(
    intent: BucketIntent,
    ctx: OperationContext<BucketObservation>,
  ): Promise<ApplyOutcome<BucketObservation>> {
    const policy = classPolicyOf(intent.class);
    const placement =
      ctx.placement ?? placementWith(bucketNameFor(intent.id), this.userIdFor(intent.id), policy);
    const { bucketName, identity } = placementOf(placement);
    const signal = ctx.signal;

    // On the first call nothing exists yet: create at once, and look only when a create says it is there.
    const { user, created } = await this.ensureUser(intent.id, bucketName, identity, ctx);
    const key =
      user.keys.find((k) => k.user === identity) ??
      (await this.call("create key", () => this.admin.createKey(identity, signal)))[0];
    if (!key) throw new Error(`RGW returned no key for user ${identity}`);
    // The quota and the bucket are independent: both calls in flight at once take one round trip off a
    // create. Both are settled before apply returns, so that no call of this apply outlives it.
    const [quota, made] = await Promise.allSettled([
      this.ensureQuota(identity, policy, created ? "fresh" : user.quota, ctx),
      this.ensureBucket(bucketName, identity, key, created, ctx),
    ]);
    if (quota.status === "rejected") throw quota.reason;
    if (made.status === "rejected") throw made.reason;

    return {
      observation: {
        state: bucket.BucketState.BUCKET_AVAILABLE,
        access: bucketAccess(this.options.access, bucketName, {
          accessKeyId: key.accessKey,
          secretAccessKey: key.secretKey,
        }),
      },
      ...(ctx.placement ? {} : { placement }),
    };
  }

  /**
   * Deletes the bucket, then its user (with its keys). A bucket that still holds objects (and whose class
   * does not purge) keeps its credentials, so that its tenant can empty it; the delete finishes once it is
   * empty. The user is suspended for the delete itself, so nothing is written (or the bucket made again) in
   * between.
   */
  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    const placement =
      ref.placement ?? placementWith(bucketNameFor(ref.id), this.userIdFor(ref.id), undefined);
    const { bucketName, identity, purgeOnDelete } = placementOf(placement);
    const signal = ref.signal;

    const user = await this.call("get user", () => this.admin.getUser(identity, signal));
    if (user) this.requireOwned(user);

    const stats = await this.call("bucket stats", () => this.admin.getBucket(bucketName, signal));
    // A bucket of that name owned by someone else is not ours to delete (e.g. the name was taken).
    if (stats && stats.owner === identity) {
      if (!purgeOnDelete && stats.numObjects > 0) return bucketNotEmpty(bucketName);
      const suspend = user !== undefined && !user.suspended;
      if (suspend) await this.call("suspend user", () => this.admin.setSuspended(identity, true, signal));
      try {
        await this.call("remove bucket", () =>
          this.admin.removeBucket(bucketName, { purgeObjects: purgeOnDelete }, signal),
        );
      } catch (error) {
        if (!(error instanceof RgwAdminError && error.code === "BucketNotEmpty")) throw error;
        // Written to just before the suspension: the tenant gets its credentials back to empty it.
        if (suspend) await this.call("resume user", () => this.admin.setSuspended(identity, false, signal));
        return bucketNotEmpty(bucketName);
      }
      ref.event("Normal", "BucketDeleted", `deleted bucket ${bucketName}`);
    }
    if (user) {
      await this.call("remove user", () => this.admin.removeUser(identity, { purgeData: false }, signal));
      ref.event("Normal", "CredentialsRevoked", `the credentials of bucket ${bucketName} no longer work`);
    }
    return undefined;
  }

  async listOwned(): Promise<OwnedResource[]> {
    const ids = (await this.call("list users", () => this.admin.listUserIds())).filter((id) =>
      id.startsWith("iri-"),
    );
    const owned: OwnedResource[] = [];
    // The owner tag is in each user's display name: read a few users at a time.
    for (let i = 0; i < ids.length; i += LIST_CONCURRENCY) {
      const users = await Promise.all(
        ids.slice(i, i + LIST_CONCURRENCY).map((uid) => this.call("get user", () => this.admin.getUser(uid))),
      );
      for (const user of users) {
        const tag = user && parseOwnerTag(user.displayName);
        if (user && tag) {
          owned.push({
            id: tag.id,
            owner: tag.owner,
            placement: placementWith(tag.bucket, user.uid, undefined),
            ...(tag.created ? { created: tag.created } : {}),
          });
        }
      }
    }
    return owned;
  }

  async close(): Promise<void> {}

  private userIdFor(id: string): string {
    return `iri-${this.instanceId}-${id}`;
  }

  /** The bucket, made with its user's key unless an earlier call made it; `fresh`: the user was made just now. */
  private async ensureBucket(
    bucketName: string,
    identity: string,
    key: RgwKey,
    fresh: boolean,
    ctx: OperationContext<BucketObservation>,
  ): Promise<void> {
    const signal = ctx.signal;
    // A user made just now owns no bucket; otherwise the bucket may be there from an earlier call.
    const stats = fresh
      ? undefined
      : await this.call("bucket stats", () => this.admin.getBucket(bucketName, signal));
    if (stats && stats.owner !== identity) throw nameTaken(bucketName);
    if (stats) return;
    const { endpoint, region, timeoutMs } = this.options.s3;
    const credentials = { accessKeyId: key.accessKey, secretAccessKey: key.secretKey };
    const result = await this.call("create bucket", () =>
      createBucketAs({ endpoint, region, timeoutMs, credentials }, bucketName, signal),
    );
    if (result === "taken") throw nameTaken(bucketName);
    // One event for user and bucket: every event is a store write on the way to AVAILABLE.
    if (result === "created") {
      ctx.event(
        "Normal",
        "BucketCreated",
        `created bucket ${bucketName}, owned by its own RGW user ${identity}`,
      );
    }
  }

  /** The bucket's user; `created` when this call made it. */
  private async ensureUser(
    id: string,
    bucketName: string,
    identity: string,
    ctx: OperationContext<BucketObservation>,
  ): Promise<{ user: RgwUser; created: boolean }> {
    const lookFirst = ctx.placement !== undefined;
    const existing = lookFirst
      ? await this.call("get user", () => this.admin.getUser(identity, ctx.signal))
      : undefined;
    if (existing) {
      this.requireOwned(existing);
      return { user: existing, created: false };
    }
    const displayName = formatOwnerTag({ owner: this.instanceId, id, bucket: bucketName, created: ctx.tag });
    try {
      const user = await this.call("create user", () =>
        this.admin.createUser(identity, displayName, ctx.signal),
      );
      return { user, created: true };
    } catch (error) {
      // Made by an earlier call that was cut off before it recorded the placement.
      if (!(error instanceof RgwAdminError && error.code === "UserAlreadyExists")) throw error;
      const user = await this.call("get user", () => this.admin.getUser(identity, ctx.signal));
      if (!user) throw error;
      this.requireOwned(user);
      return { user, created: false };
    }
  }

  /**
   * `known`: "fresh" for a user made just now (no quota), else the quota read with the user, if the gateway
   * reported it. Every resync reconciles every bucket: reading the quota with the user saves one admin call
   * per bucket and resync (a quarter of an idle sweep's calls).
   */
  private async ensureQuota(
    identity: string,
    policy: ClassPolicy,
    known: "fresh" | (RgwQuota & { enabled: boolean }) | undefined,
    ctx: OperationContext<BucketObservation>,
  ) {
    const wanted: RgwQuota = { maxSizeBytes: policy.maxBytes || -1, maxObjects: policy.maxObjects || -1 };
    const unlimited = wanted.maxSizeBytes === -1 && wanted.maxObjects === -1;
    const fresh = known === "fresh";
    // A new user has no quota, which is what an unlimited class asks for.
    if (fresh && unlimited) return;
    if (!fresh) {
      const current =
        known ?? (await this.call("get quota", () => this.admin.getUserQuota(identity, ctx.signal)));
      const same = current.maxSizeBytes === wanted.maxSizeBytes && current.maxObjects === wanted.maxObjects;
      if ((current.enabled && same) || (!current.enabled && unlimited)) return;
    }
    await this.call("set quota", () => this.admin.setUserQuota(identity, wanted, ctx.signal));
    ctx.event("Normal", "QuotaSet", `quota set: ${describeLimits(policy)}`);
  }

  private requireOwned(user: RgwUser): void {
    const tag = parseOwnerTag(user.displayName);
    if (tag?.owner !== this.instanceId) {
      throw new PermanentBackendError(
        "IdentityNotOwned",
        `RGW user ${user.uid} exists but is not tagged as this provider's (owner ${tag ? tag.owner : "unknown"})`,
      );
    }
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.calls.run(what, fn);
  }
}

function nameTaken(bucketName: string): PermanentBackendError {
  return new PermanentBackendError(
    "BucketNameTaken",
    `bucket name ${bucketName} is taken by a bucket this provider does not own`,
  );
}

export function describeLimits(policy: ClassPolicy): string {
  const bytes = policy.maxBytes ? `${policy.maxBytes} bytes` : "no byte limit";
  const objects = policy.maxObjects ? `${policy.maxObjects} objects` : "no object limit";
  return `${bytes}, ${objects}`;
}
