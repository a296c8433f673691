import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { RgwAdminClient } from "./rgw-admin-client.js";
import { RgwAdminError } from "./rgw-errors.js";
import { createBucketAs, RgwS3Error } from "./rgw-user-s3.js";

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} not set: these tests need radosgw (source <(bash scripts/services.sh env))`);
  return value;
}

const endpoint = requireEnv("RGW_ENDPOINT");
const admin = new RgwAdminClient({
  endpoint,
  credentials: {
    accessKeyId: requireEnv("RGW_ADMIN_ACCESS_KEY"),
    secretAccessKey: requireEnv("RGW_ADMIN_SECRET_KEY"),
  },
});
const uid = `rgw-client-test-${randomBytes(4).toString("hex")}`;

describe("RgwAdminClient (real radosgw)", () => {
  afterAll(async () => {
    await admin.removeUser(uid, { purgeData: true });
  });

  it("creates a user with a key, finds it, lists it, and refuses a second create", async () => {
    const user = await admin.createUser(uid, "client test user");
    expect(user).toMatchObject({ uid, displayName: "client test user", suspended: false });
    expect(user.keys).toHaveLength(1);
    expect((await admin.getUser(uid))?.keys).toEqual(user.keys);
    expect(await admin.listUserIds()).toContain(uid);
    const error = await admin.createUser(uid, "again").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RgwAdminError);
    expect((error as RgwAdminError).code).toBe("UserAlreadyExists");
  });

  it("sets and reads back a user quota", async () => {
    await admin.setUserQuota(uid, { maxSizeBytes: 4096 * 10, maxObjects: 7 });
    expect(await admin.getUserQuota(uid)).toEqual({ enabled: true, maxSizeBytes: 4096 * 10, maxObjects: 7 });
    // The same quota comes with the user, so that a resync needs no second call to check it.
    expect((await admin.getUser(uid))?.quota).toEqual({
      enabled: true,
      maxSizeBytes: 4096 * 10,
      maxObjects: 7,
    });
  });

  it("adds and removes keys, suspends and resumes", async () => {
    const keys = await admin.createKey(uid);
    expect(keys).toHaveLength(2);
    await admin.removeKey(uid, keys[0]?.accessKey as string);
    expect((await admin.getUser(uid))?.keys).toHaveLength(1);
    await admin.setSuspended(uid, true);
    expect((await admin.getUser(uid))?.suspended).toBe(true);
    await admin.setSuspended(uid, false);
    expect((await admin.getUser(uid))?.suspended).toBe(false);
  });

  it("answers undefined for what does not exist and removes idempotently", async () => {
    expect(await admin.getUser(`${uid}-absent`)).toBeUndefined();
    expect(await admin.getBucket(`${uid}-absent`)).toBeUndefined();
    await admin.removeUser(`${uid}-absent`, { purgeData: false });
    await admin.removeBucket(`${uid}-absent`, { purgeObjects: false });
  });

  it("is refused with a precise code when the admin key is wrong", async () => {
    const wrong = new RgwAdminClient({
      endpoint,
      credentials: { accessKeyId: "nobody", secretAccessKey: "wrong" },
    });
    const error = await wrong.getUser(uid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RgwAdminError);
    expect((error as RgwAdminError).code).toBe("InvalidAccessKeyId");
  });
});

describe("createBucketAs (real radosgw)", () => {
  const owner = `${uid}-owner`;
  const other = `${uid}-other`;
  afterAll(async () => {
    // purge-data removes the users' buckets with them.
    for (const user of [owner, other]) await admin.removeUser(user, { purgeData: true });
  });

  it("creates as the user, who then owns it; as another user: taken; a refusal: its S3 code", async () => {
    const asUser = async (user: string) => {
      const key = (await admin.createUser(user, "bucket creation test")).keys[0];
      if (!key) throw new Error("no key");
      return { endpoint, credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey } };
    };
    const ownerOptions = await asUser(owner);
    const otherOptions = await asUser(other);
    const bucket = `${uid}-bucket`;
    expect(await createBucketAs(ownerOptions, bucket)).toBe("created");
    expect((await admin.getBucket(bucket))?.owner).toBe(owner);
    expect(await createBucketAs(otherOptions, bucket)).toBe("taken");
    // A user made by createUser may own one bucket.
    const error = await createBucketAs(ownerOptions, `${bucket}-2`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RgwS3Error);
    expect((error as RgwS3Error).code).toBe("TooManyBuckets");
  });
});
