import { randomBytes } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { bucket } from "@iri/api";
import {
  type ApplyOutcome,
  type BackendContext,
  type BucketBackend,
  type BucketIntent,
  type BucketObservation,
  type CreationTag,
  type ObjectRef,
  type OperationContext,
  type OwnedResource,
  PermanentBackendError,
  type RemoveOutcome,
} from "@iri/backend-api";
import type { MinioAdminClient, PolicyDocument } from "@iri/minio";
import { type AccessSettings, bucketAccess, credentialsOf } from "./access.js";
import { bucketNameFor } from "./bucket-names.js";
import { classPolicyOf } from "./class-policy.js";
import { creationSid, parseCreationSid } from "./owner-tag.js";
import { PendingCreations } from "./pending-creations.js";
import { bucketNotEmpty, placementOf, placementWith } from "./placement.js";
import { describeLimits } from "./rgw-bucket-backend.js";
import { bucketExists, bucketIsEmpty, createBucket, deleteBucket } from "./s3-buckets.js";
import { StoreCalls } from "./store-calls.js";

export interface MinioBackendOptions {
  readonly admin: MinioAdminClient;
  /** S3 client with the admin (root) key: MinIO buckets belong to the deployment, not to a user. */
  readonly s3: S3Client;
  readonly access: AccessSettings;
  readonly context: BackendContext;
}

const POLICY_PREFIX = "iri-bucket.";

/**
 * Buckets on MinIO. Each bucket gets its own MinIO user (`iri-<instanceId>-<id>`) whose only policy,
 * `iri-bucket.<instanceId>.<id>`, allows everything on that bucket and nothing else; the bucket carries the
 * class's hard size quota (MinIO has no object-count quota). The policy is made first (then the bucket, then
 * the user) and removed last, so the policies (which only the provider can write) list everything this
 * backend holds; bucket tags, which the bucket's tenant can edit, are never trusted.
 */
export class MinioBucketBackend implements BucketBackend {
  readonly name = "minio";
  private readonly admin: MinioAdminClient;
  private readonly s3: S3Client;
  private readonly instanceId: string;
  private readonly calls: StoreCalls;
  private readonly pending: PendingCreations;

  constructor(private readonly options: MinioBackendOptions) {
    this.admin = options.admin;
    this.s3 = options.s3;
    this.instanceId = options.context.owner.instanceId;
    this.calls = new StoreCalls(options.context.metrics, "minio");
    this.pending = new PendingCreations(options.context.stateDir);
  }

  async apply(
    intent: BucketIntent,
    ctx: OperationContext<BucketObservation>,
  ): Promise<ApplyOutcome<BucketObservation>> {
    const policy = classPolicyOf(intent.class);
    if (policy.maxObjects > 0) {
      throw new PermanentBackendError(
        "ClassNotSupported",
        `bucket class ${intent.class.name} sets maxObjects, but MinIO has no object-count quota`,
      );
    }
    const placement =
      ctx.placement ??
      placementWith(bucketNameFor(intent.id), accessKeyFor(this.instanceId, intent.id), policy);
    const { bucketName, identity } = placementOf(placement);
    const policyName = policyNameFor(this.instanceId, intent.id);
    const signal = ctx.signal;

    // On the first call nothing exists yet: create at once, and look only when a create says it is there.
    const fresh = ctx.placement === undefined;
    await this.call("put policy", () =>
      this.admin.putPolicy(policyName, bucketPolicy(bucketName, ctx.tag), signal),
    );
    // The bucket before its user: a name found taken then leaves only the policy to remove, which MinIO
    // refuses while any user still has it attached.
    const createdBucket = await this.ensureBucket(bucketName, policyName, fresh, ctx);
    const credentials = await this.ensureUser(identity, policyName, fresh, ctx);

    const quota = createdBucket
      ? 0
      : await this.call("get quota", () => this.admin.getBucketQuota(bucketName, signal));
    if (quota !== policy.maxBytes) {
      await this.call("set quota", () => this.admin.setBucketQuota(bucketName, policy.maxBytes, signal));
      ctx.event("Normal", "QuotaSet", `quota set: ${describeLimits(policy)}`);
    }

    return {
      observation: {
        state: bucket.BucketState.BUCKET_AVAILABLE,
        access: bucketAccess(this.options.access, bucketName, credentials),
      },
      ...(ctx.placement ? {} : { placement }),
    };
  }

  /**
   * Deletes the bucket, then its user and policy. A bucket that still holds objects (and whose class does not
   * purge) keeps its credentials, so that its tenant can empty it; the delete finishes once it is empty. The
   * user is disabled for the delete itself, so nothing is written (or the bucket made again) in between.
   */
  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    const placement =
      ref.placement ?? placementWith(bucketNameFor(ref.id), accessKeyFor(this.instanceId, ref.id), undefined);
    const { bucketName, identity, purgeOnDelete } = placementOf(placement);
    const signal = ref.signal;

    const user = await this.call("get user", () => this.admin.getUser(identity, signal));
    // Ours: the store (or our own policy, for an orphan) records it, or a note says we were creating it.
    const ours = ref.placement !== undefined || this.pending.has(bucketName);
    if (ours && (await bucketExists(this.calls, this.s3, bucketName, signal))) {
      if (!purgeOnDelete && !(await bucketIsEmpty(this.calls, this.s3, bucketName, signal))) {
        return bucketNotEmpty(bucketName);
      }
      if (user?.status === "enabled") {
        await this.call("disable user", () => this.admin.setUserStatus(identity, "disabled", signal));
      }
      const result = await deleteBucket(this.calls, this.s3, bucketName, { force: purgeOnDelete }, signal);
      if (result === "not-empty") {
        // Written to just before the user was disabled: the tenant gets its credentials back to empty it.
        if (user?.status === "enabled") {
          await this.call("enable user", () => this.admin.setUserStatus(identity, "enabled", signal));
        }
        return bucketNotEmpty(bucketName);
      }
      if (result === "deleted") ref.event("Normal", "BucketDeleted", `deleted bucket ${bucketName}`);
    }
    if (user) {
      await this.call("remove user", () => this.admin.removeUser(identity, signal));
      ref.event("Normal", "CredentialsRevoked", `the credentials of bucket ${bucketName} no longer work`);
    }
    this.pending.done(bucketName);
    await this.call("remove policy", () =>
      this.admin.removePolicy(policyNameFor(this.instanceId, ref.id), signal),
    );
    return undefined;
  }

  async listOwned(): Promise<OwnedResource[]> {
    const policies = await this.call("list policies", () => this.admin.listPolicies());
    const owned: OwnedResource[] = [];
    for (const [name, document] of Object.entries(policies)) {
      const tag = parsePolicyName(name);
      const bucketName = tag && bucketOfPolicy(document);
      if (!tag || !bucketName) continue;
      const created = creationTagOfPolicy(document);
      owned.push({
        id: tag.id,
        owner: tag.owner,
        placement: placementWith(bucketName, accessKeyFor(tag.owner, tag.id), undefined),
        ...(created ? { created } : {}),
      });
    }
    return owned;
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }

  // A secret is known only from the last observation (MinIO never reveals one); without it, a new one is set.
  private async ensureUser(
    identity: string,
    policyName: string,
    fresh: boolean,
    ctx: OperationContext<BucketObservation>,
  ) {
    const known = credentialsOf(ctx.lastObservation?.access);
    const existing = fresh
      ? undefined
      : await this.call("get user", () => this.admin.getUser(identity, ctx.signal));
    let credentials = known?.accessKeyId === identity ? known : undefined;
    if (!existing || !credentials || existing.status !== "enabled") {
      credentials = credentials ?? {
        accessKeyId: identity,
        secretAccessKey: randomBytes(30).toString("base64url"),
      };
      const secret = credentials.secretAccessKey;
      await this.call("put user", () => this.admin.putUser(identity, secret, "enabled", ctx.signal));
    }
    if (existing?.policyName !== policyName) {
      await this.call("attach policy", () => this.admin.setUserPolicy(identity, policyName, ctx.signal));
    }
    return credentials;
  }

  /**
   * Makes sure the bucket is there; true when this call created it. An existing bucket is ours only when the
   * store recorded it (not `fresh`) or a note says an earlier call was creating it: tags are the tenant's to
   * edit and prove nothing.
   */
  private async ensureBucket(
    bucketName: string,
    policyName: string,
    fresh: boolean,
    ctx: OperationContext<BucketObservation>,
  ): Promise<boolean> {
    const signal = ctx.signal;
    if (!fresh) {
      // Recorded in the store: the note of its creation is no longer needed.
      this.pending.done(bucketName);
      if (await bucketExists(this.calls, this.s3, bucketName, signal)) return false;
    }
    const resumed = this.pending.has(bucketName);
    if (!resumed) this.pending.note(bucketName);
    const created = (await createBucket(this.calls, this.s3, bucketName, signal)) === "created";
    if (!created && !resumed && fresh) {
      this.pending.done(bucketName);
      // Our policy must not name someone else's bucket (the policies are what the backend lists as its
      // own); no user has been made for it yet, so nothing holds it.
      await this.call("remove policy", () => this.admin.removePolicy(policyName, signal));
      throw new PermanentBackendError(
        "BucketNameTaken",
        `bucket name ${bucketName} is taken by a bucket this provider does not own`,
      );
    }
    // One event for user, policy and bucket: every event is a store write on the way to AVAILABLE.
    if (created) {
      ctx.event(
        "Normal",
        "BucketCreated",
        `created bucket ${bucketName}, open only to its own MinIO user and policy`,
      );
    }
    return created;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.calls.run(what, fn);
  }
}

function accessKeyFor(instanceId: string, id: string): string {
  return `iri-${instanceId}-${id}`;
}

function policyNameFor(instanceId: string, id: string): string {
  return `${POLICY_PREFIX}${instanceId}.${id}`;
}

function parsePolicyName(name: string): { owner: string; id: string } | undefined {
  const match = /^iri-bucket\.([A-Za-z0-9_-]+)\.([a-z0-9-]+)$/.exec(name);
  return match ? { owner: match[1] as string, id: match[2] as string } : undefined;
}

const ARN_PREFIX = "arn:aws:s3:::";

/**
 * Everything on the one bucket, nothing else (not even listing which buckets exist). The statement's id
 * carries the creation tag: the policy is the inventory the orphan pass reads, and only the provider writes it.
 */
function bucketPolicy(bucketName: string, created: CreationTag): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: creationSid(created),
        Effect: "Allow",
        Action: ["s3:*"],
        Resource: [`${ARN_PREFIX}${bucketName}`, `${ARN_PREFIX}${bucketName}/*`],
      },
    ],
  };
}

function creationTagOfPolicy(document: PolicyDocument): CreationTag | undefined {
  const statements = (document as { Statement?: { Sid?: string }[] }).Statement ?? [];
  return parseCreationSid(statements[0]?.Sid);
}

function bucketOfPolicy(document: PolicyDocument): string | undefined {
  const statements = (document as { Statement?: { Resource?: string[] | string }[] }).Statement ?? [];
  const resources = [statements[0]?.Resource ?? []].flat();
  const bucketArn = resources.find((r) => r.startsWith(ARN_PREFIX) && !r.includes("/"));
  return bucketArn?.slice(ARN_PREFIX.length);
}
