import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { create } from "@bufbuild/protobuf";
import { bucket, createRuntimeClient } from "@iri/api";
import { caseNames, runConformance } from "@iri/conformance";
import { MinioAdminClient } from "@iri/minio";
import { RgwAdminClient } from "@iri/rgw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendArgs, leftovers, type Store, stores } from "./bucket-stores.js";
import { eventually, type ProviderProcess, scratchDir, startProvider } from "./provider-process.js";

/** An owner instance id and a creation tag (`<lineage>.<generation>`, "" for none) as a bucket carries them. */
interface Tags {
  owner: string;
  created: string;
}

/**
 * Makes, behind the provider's back, what a crash between the store and the provider's own record would leave
 * for bucket `id` (an identity with an owner tag and no bucket), tagged with `tags`.
 */
async function plant(store: Store, tags: Tags, id: string): Promise<void> {
  const { endpoint, access, secret } = stores[store];
  const credentials = { accessKeyId: access, secretAccessKey: secret };
  const { owner, created } = tags;
  if (store === "rgw") {
    const admin = new RgwAdminClient({ endpoint, credentials });
    const tag = `iri-bucket owner=${owner} id=${id} bucket=${id}${created ? ` created=${created}` : ""}`;
    await admin.createUser(`iri-${owner}-${id}`, tag);
    return;
  }
  const admin = new MinioAdminClient({ endpoint, credentials });
  const arn = `arn:aws:s3:::${id}`;
  const sid = created ? { Sid: `iricreated${created.replace(".", "g")}` } : {};
  await admin.putPolicy(`iri-bucket.${owner}.${id}`, {
    Version: "2012-10-17",
    Statement: [{ ...sid, Effect: "Allow", Action: ["s3:*"], Resource: [arn, `${arn}/*`] }],
  });
  await admin.putUser(`iri-${owner}-${id}`, "planted-secret-123", "enabled");
}

/** The provider's instance id and the creation tag, read back from the tags on a bucket's identity. */
async function tagsOf(store: Store, id: string): Promise<Tags> {
  const { endpoint, access, secret } = stores[store];
  const credentials = { accessKeyId: access, secretAccessKey: secret };
  if (store === "rgw") {
    const admin = new RgwAdminClient({ endpoint, credentials });
    const uid = (await admin.listUserIds()).find((u) => u.endsWith(`-${id}`)) ?? "";
    const tag = (await admin.getUser(uid))?.displayName ?? "";
    return { owner: /owner=(\S+)/.exec(tag)?.[1] ?? "", created: /created=(\S+)/.exec(tag)?.[1] ?? "" };
  }
  const admin = new MinioAdminClient({ endpoint, credentials });
  const policies = await admin.listPolicies();
  const name = Object.keys(policies).find((p) => p.endsWith(`.${id}`)) ?? "";
  const statements = (policies[name] as { Statement?: { Sid?: string }[] } | undefined)?.Statement;
  const sid = /^iricreated([0-9a-z]+)g([0-9]+)$/.exec(statements?.[0]?.Sid ?? "");
  return { owner: name.split(".")[1] ?? "", created: sid ? `${sid[1]}.${sid[2]}` : "" };
}

function text(access: bucket.BucketAccess | undefined, key: string): string {
  return new TextDecoder().decode(access?.secretData[key] ?? new Uint8Array());
}

function consumer(access: bucket.BucketAccess | undefined): S3Client {
  return new S3Client({
    endpoint: `http://${text(access, "BUCKET_HOST")}:${text(access, "BUCKET_PORT")}`,
    region: text(access, "BUCKET_REGION"),
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: {
      accessKeyId: text(access, "AWS_ACCESS_KEY_ID"),
      secretAccessKey: text(access, "AWS_SECRET_ACCESS_KEY"),
    },
  });
}

describe.each(["rgw", "minio"] as const)("the bucket provider on %s", (store) => {
  const scratch = scratchDir(`bucket-${store}`);
  let provider: ProviderProcess;

  beforeAll(async () => {
    provider = await startProvider("bucket", join(scratch.dir, "main"), backendArgs(store, scratch.dir));
  });

  // Whatever the cases left (the conformance suite's buckets too) is deleted through the provider, and then
  // nothing of it may remain in the store.
  afterAll(async () => {
    try {
      const client = createRuntimeClient(bucket.BucketRuntime, provider.address);
      const ids = (await client.listBuckets({})).buckets.map((b) => b.metadata?.id ?? "");
      for (const id of ids) await client.deleteBucket({ bucketId: id }).catch(() => undefined);
      await eventually(
        "every bucket deleted",
        async () => ((await client.listBuckets({})).buckets.length === 0 ? true : undefined),
        60_000,
      );
      for (const id of ids) expect(await leftovers(store, id)).toEqual([]);
    } finally {
      await provider?.kill("SIGTERM");
      scratch.remove();
    }
  }, 120_000);

  describe("conformance", () => {
    let report: Awaited<ReturnType<typeof runConformance>>;
    beforeAll(async () => {
      report = await runConformance({ runtime: "bucket", address: provider.address });
    }, 300_000);

    it.each([...caseNames.bucket])("%s", (name) => {
      const result = report.results.find((r) => r.name === name);
      expect(result, `case ${name} did not run`).toBeDefined();
      expect(result?.error).toBeUndefined();
      expect(result?.ok).toBe(true);
    });
  });

  it("creates a bucket that its credentials open, reports its events, and deletes it without leftovers", async () => {
    const client = createRuntimeClient(bucket.BucketRuntime, provider.address);
    const created = await client.createBucket({
      bucket: create(bucket.BucketSchema, {
        metadata: { labels: { app: "e2e" } },
        spec: { class: "standard" },
      }),
    });
    expect(created.bucket?.status?.state).toBe(bucket.BucketState.BUCKET_PENDING);
    const id = created.bucket?.metadata?.id ?? "";
    const available = await eventually("bucket AVAILABLE", async () => {
      const [b] = (await client.listBuckets({ filter: { id } })).buckets;
      return b?.status?.state === bucket.BucketState.BUCKET_AVAILABLE ? b : undefined;
    });
    const access = available.status?.access;
    expect(access?.endpoint).toBe(`${text(access, "BUCKET_NAME")}.${new URL(stores[store].endpoint).host}`);
    const s3 = consumer(access);
    const name = text(access, "BUCKET_NAME");
    await s3.send(new PutObjectCommand({ Bucket: name, Key: "greeting", Body: "hello from e2e" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: name, Key: "greeting" }));
    expect(await got.Body?.transformToString()).toBe("hello from e2e");
    const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
    await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "greeting" }));

    const reasons = (await client.listEvents({ filter: { id } })).events.map((e) => e.spec?.reason);
    expect(reasons).toEqual(expect.arrayContaining(["BucketCreated", "Available"]));

    await client.deleteBucket({ bucketId: id });
    await eventually("bucket gone", async () =>
      (await client.listBuckets({ filter: { id } })).buckets.length === 0 ? true : undefined,
    );
    expect(await leftovers(store, id)).toEqual([]);
    const denied = await s3.send(new PutObjectCommand({ Bucket: name, Key: "late", Body: "x" })).then(
      () => "accepted",
      (e: { name?: string }) => e.name ?? "error",
    );
    expect(denied).not.toBe("accepted");
    s3.destroy();
    // Neither the admin key nor the bucket's own key is in the provider's logs or its events.
    const events = JSON.stringify((await client.listEvents({})).events.map((e) => e.spec?.message));
    for (const secret of [
      stores[store].secret,
      text(access, "AWS_SECRET_ACCESS_KEY"),
      text(access, "AWS_ACCESS_KEY_ID"),
    ]) {
      expect(provider.output()).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
  });

  it("removes its own orphan after a restart and leaves another instance's alone", async () => {
    const dir = join(scratch.dir, "orphans");
    const first = await startProvider("bucket", dir, backendArgs(store, scratch.dir));
    const client = createRuntimeClient(bucket.BucketRuntime, first.address);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await client.createBucket({
        bucket: create(bucket.BucketSchema, { metadata: {}, spec: { class: "standard" } }),
      });
      ids.push(r.bucket?.metadata?.id ?? "");
    }
    await eventually("buckets AVAILABLE", async () => {
      const listed = (await client.listBuckets({})).buckets;
      return listed.length === 3 &&
        listed.every((b) => b.status?.state === bucket.BucketState.BUCKET_AVAILABLE)
        ? true
        : undefined;
    });
    await first.kill("SIGKILL");
    const tags = await tagsOf(store, ids[0] as string);
    expect(tags.owner).toMatch(/^[0-9a-f]{12}$/);
    expect(tags.created).toMatch(/^[0-9a-f]+\.[0-9]+$/);
    const orphan = `orphan${Date.now().toString(16)}`;
    const foreign = `foreign${Date.now().toString(16)}`;
    await plant(store, tags, orphan);
    await plant(store, { owner: "f0f0f0f0f0f0", created: "" }, foreign);

    const second = await startProvider("bucket", dir, backendArgs(store, scratch.dir));
    try {
      await eventually(
        "the orphan removed",
        async () => ((await leftovers(store, orphan)).length === 0 ? true : undefined),
        30_000,
      );
      expect(await leftovers(store, foreign)).not.toEqual([]);
      const again = createRuntimeClient(bucket.BucketRuntime, second.address);
      const listed = (await again.listBuckets({})).buckets;
      expect(listed.map((b) => b.metadata?.id).sort()).toEqual([...ids].sort());
      for (const id of ids) await again.deleteBucket({ bucketId: id });
      await eventually(
        "all deleted",
        async () => ((await again.listBuckets({})).buckets.length === 0 ? true : undefined),
        60_000,
      );
    } finally {
      await second.kill("SIGTERM");
      // The other instance's resource is the test's to remove.
      const { endpoint, access, secret: key } = stores[store];
      const credentials = { accessKeyId: access, secretAccessKey: key };
      if (store === "rgw") {
        await new RgwAdminClient({ endpoint, credentials }).removeUser(`iri-f0f0f0f0f0f0-${foreign}`, {
          purgeData: true,
        });
      } else {
        const admin = new MinioAdminClient({ endpoint, credentials });
        await admin.removeUser(`iri-f0f0f0f0f0f0-${foreign}`);
        await admin.removePolicy(`iri-bucket.f0f0f0f0f0f0.${foreign}`);
      }
    }
  });

  it("brings every acknowledged create to AVAILABLE after kill -9, and deletes them all without orphans", async () => {
    const dir = join(scratch.dir, "crash");
    const first = await startProvider("bucket", dir, backendArgs(store, scratch.dir));
    const client = createRuntimeClient(bucket.BucketRuntime, first.address);
    const ids = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const r = await client.createBucket({
          bucket: create(bucket.BucketSchema, { metadata: {}, spec: { class: "standard" } }),
        });
        return r.bucket?.metadata?.id ?? "";
      }),
    );
    await first.kill("SIGKILL");

    const second = await startProvider("bucket", dir, backendArgs(store, scratch.dir));
    try {
      const again = createRuntimeClient(bucket.BucketRuntime, second.address);
      await eventually(
        "all acknowledged buckets AVAILABLE",
        async () => {
          const listed = (await again.listBuckets({})).buckets;
          const ready = ids.every((id) =>
            listed.some(
              (b) => b.metadata?.id === id && b.status?.state === bucket.BucketState.BUCKET_AVAILABLE,
            ),
          );
          return ready ? true : undefined;
        },
        60_000,
      );
      for (const id of ids) await again.deleteBucket({ bucketId: id });
      await eventually(
        "all deleted",
        async () => ((await again.listBuckets({})).buckets.length === 0 ? true : undefined),
        60_000,
      );
      for (const id of ids) expect(await leftovers(store, id)).toEqual([]);
    } finally {
      await second.kill("SIGTERM");
    }
  });
});
