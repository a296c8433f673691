import { randomBytes } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
} from "@aws-sdk/client-s3";
import { PermanentBackendError } from "@iri/backend-api";
import type { TestBackendContext } from "@iri/backend-testing";
import { MinioAdminClient } from "@iri/minio";
import { SignedClient } from "@iri/sigv4-fetch";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it, vi } from "vitest";
import { minioBackendFactory } from "./factories.js";
import { PendingCreations } from "./pending-creations.js";
import { bucketExists } from "./s3-buckets.js";
import { s3ClientFor } from "./s3-client.js";
import { StoreCalls } from "./store-calls.js";
import {
  consumerClient,
  describeBucketBackend,
  newId,
  type OpenOptions,
} from "./testdata/bucket-backend-suite.js";
import { BucketDriver, bucketClass, bucketTestContext, requireEnv } from "./testdata/test-context.js";

const env = requireEnv(
  ["MINIO_ENDPOINT", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"],
  "MinIO: source <(bash scripts/services.sh env)",
);
const root = {
  accessKeyId: env.MINIO_ROOT_USER as string,
  secretAccessKey: env.MINIO_ROOT_PASSWORD as string,
};
const admin = new MinioAdminClient({ endpoint: env.MINIO_ENDPOINT as string, credentials: root });
const rootCalls = new StoreCalls(new Registry(), "minio");
const rootS3 = s3ClientFor(
  { endpoint: env.MINIO_ENDPOINT as string, region: "us-east-1", timeoutMs: 5000 },
  root,
);

function openMinio(ctx: TestBackendContext, options: OpenOptions = {}) {
  const use = options.env ?? env;
  return minioBackendFactory.open(
    {
      minioEndpoint: options.endpoint ?? (use.MINIO_ENDPOINT as string),
      minioAccessKey: use.MINIO_ROOT_USER as string,
      minioSecretKey: `${use.MINIO_ROOT_PASSWORD}${options.wrongKey ? "-wrong" : ""}`,
      minioBucketEndpoint: "",
      minioPathStyle: false,
      minioRegion: "us-east-1",
      minioTimeoutMs: options.timeoutMs ?? 5000,
    },
    ctx,
  );
}

describeBucketBackend({
  name: "minio",
  objectQuota: false,
  scratchKind: "minio",
  open: openMinio,
  async emptyBucket(bucketName) {
    const listed = await rootS3.send(new ListObjectsV2Command({ Bucket: bucketName }));
    for (const object of listed.Contents ?? []) {
      await rootS3.send(new DeleteObjectCommand({ Bucket: bucketName, Key: object.Key }));
    }
  },
  async leftovers(ctx, id, bucketName) {
    const left: string[] = [];
    const accessKey = `iri-${ctx.owner.instanceId}-${id}`;
    if (await admin.getUser(accessKey)) left.push(`user ${accessKey}`);
    const policy = `iri-bucket.${ctx.owner.instanceId}.${id}`;
    if (policy in (await admin.listPolicies())) left.push(`policy ${policy}`);
    if (await bucketExists(rootCalls, rootS3, bucketName, new AbortController().signal))
      left.push(`bucket ${bucketName}`);
    return left;
  },
});

// MinIO keeps no bucket owner: a bucket is ours once the store records it, bridged by a durable note.
describe("minio bucket backend: ownership without trusting bucket tags", () => {
  const ctx = bucketTestContext(`tag${randomBytes(4).toString("hex")}`);
  const made: string[] = [];
  afterAll(async () => {
    for (const name of made)
      await rootS3.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
    await ctx.dispose();
  });

  it("adopts the untagged bucket it noted it was creating", async () => {
    const backend = await openMinio(ctx);
    const driver = new BucketDriver(backend, ctx);
    const id = newId();
    new PendingCreations(ctx.stateDir).note(id);
    await rootS3.send(new CreateBucketCommand({ Bucket: id }));
    made.push(id);
    const outcome = await driver.apply(id, bucketClass("plain"));
    expect(outcome.placement?.bucket).toBe(id);
    // The note goes once the store holds the record: the next apply sees it.
    await driver.apply(id, bucketClass("plain"));
    expect(new PendingCreations(ctx.stateDir).has(id)).toBe(false);
    expect(await driver.remove(id)).toBeUndefined();
    expect(await bucketExists(rootCalls, rootS3, id, new AbortController().signal)).toBe(false);
    await backend.close();
  });

  it("does not take an untagged bucket it has no note of", async () => {
    const backend = await openMinio(ctx);
    const driver = new BucketDriver(backend, ctx);
    const id = newId();
    await rootS3.send(new CreateBucketCommand({ Bucket: id }));
    made.push(id);
    const adminCalls = recordAdminCalls();
    const error = await driver.apply(id, bucketClass("plain")).catch((e: unknown) => e);
    adminCalls.stop();
    expect(error).toBeInstanceOf(PermanentBackendError);
    expect((error as PermanentBackendError).reason).toBe("BucketNameTaken");
    // No user is made for a name found taken: MinIO refuses to remove a policy a user still has attached,
    // so the refusal's clean-up is the policy alone.
    expect(adminCalls.names).toEqual(["add-canned-policy", "remove-canned-policy"]);
    // Deleting our record removes our user and policy, not their bucket.
    expect(await driver.remove(id)).toBeUndefined();
    expect(await bucketExists(rootCalls, rootS3, id, new AbortController().signal)).toBe(true);
    expect((await backend.listOwned()).filter((r) => r.owner === ctx.owner.instanceId)).toEqual([]);
    await backend.close();
  });

  it("does not take a bucket whose tags claim it is ours", async () => {
    const backend = await openMinio(ctx);
    const driver = new BucketDriver(backend, ctx);
    const id = newId();
    await rootS3.send(new CreateBucketCommand({ Bucket: id }));
    made.push(id);
    await rootS3.send(
      new PutBucketTaggingCommand({
        Bucket: id,
        Tagging: {
          TagSet: [
            { Key: "iri-owner", Value: ctx.owner.instanceId },
            { Key: "iri-id", Value: id },
          ],
        },
      }),
    );
    const error = await driver.apply(id, bucketClass("plain")).catch((e: unknown) => e);
    expect((error as PermanentBackendError).reason).toBe("BucketNameTaken");
    expect(await driver.remove(id)).toBeUndefined();
    expect(await bucketExists(rootCalls, rootS3, id, new AbortController().signal)).toBe(true);
    await backend.close();
  });

  it("keeps and deletes its own bucket whatever tags its tenant puts on it", async () => {
    const backend = await openMinio(ctx);
    const driver = new BucketDriver(backend, ctx);
    const id = newId();
    const { observation } = await driver.apply(id, bucketClass("plain"));
    const { s3, bucket: name } = consumerClient(observation);
    try {
      await s3.send(
        new PutBucketTaggingCommand({
          Bucket: name,
          Tagging: { TagSet: [{ Key: "iri-owner", Value: "someone-else" }] },
        }),
      );
    } finally {
      s3.destroy();
    }
    expect((await driver.apply(id, bucketClass("plain"))).observation.state).toBe(observation.state);
    expect(await driver.remove(id)).toBeUndefined();
    expect(await bucketExists(rootCalls, rootS3, name, new AbortController().signal)).toBe(false);
    await backend.close();
  });
});

/** The MinIO admin API calls made (by name, in order) until `stop`. */
function recordAdminCalls() {
  const names: string[] = [];
  const originalSend = SignedClient.prototype.send;
  const spy = vi.spyOn(SignedClient.prototype, "send").mockImplementation(function (
    this: SignedClient,
    request,
  ) {
    if (request.path.startsWith("/minio/admin/v3/"))
      names.push(request.path.slice("/minio/admin/v3/".length));
    return originalSend.call(this, request);
  });
  return { names, stop: () => spy.mockRestore() };
}
