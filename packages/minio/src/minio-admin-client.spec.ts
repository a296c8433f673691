import { randomBytes } from "node:crypto";
import { ServiceUnreachableError, SignedClient } from "@iri/sigv4-fetch";
import { afterAll, describe, expect, it } from "vitest";
import { MinioAdminClient } from "./minio-admin-client.js";
import { MinioAdminError } from "./minio-errors.js";

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} not set: these tests need MinIO (source <(bash scripts/services.sh env))`);
  return value;
}

const endpoint = requireEnv("MINIO_ENDPOINT");
const admin = new MinioAdminClient({
  endpoint,
  credentials: {
    accessKeyId: requireEnv("MINIO_ROOT_USER"),
    secretAccessKey: requireEnv("MINIO_ROOT_PASSWORD"),
  },
});
const suffix = randomBytes(4).toString("hex");
const accessKey = `minio-client-test-${suffix}`;
const policy = `minio-client-test-${suffix}`;

describe("MinioAdminClient (real MinIO)", () => {
  afterAll(async () => {
    await admin.removeUser(accessKey);
    await admin.removePolicy(policy);
  });

  it("adds a user through an encrypted body the server decrypts: its secret then signs requests", async () => {
    const secret = randomBytes(20).toString("hex");
    await admin.putUser(accessKey, secret, "enabled");
    const s3Code = async (secretAccessKey: string) => {
      const client = new SignedClient({ endpoint, credentials: { accessKeyId: accessKey, secretAccessKey } });
      const body = new TextDecoder().decode((await client.send({ method: "GET", path: "/" })).body);
      return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    };
    // The user has no policy yet: signed with the secret we encrypted, a request is authenticated and then
    // denied; signed with any other secret, its signature does not match.
    expect(await s3Code(secret)).toBe("AccessDenied");
    expect(await s3Code(`${secret}x`)).toBe("SignatureDoesNotMatch");
  });

  it("lists users from the server's encrypted answer", async () => {
    const users = await admin.listUsers();
    expect(users.find((u) => u.accessKey === accessKey)).toMatchObject({ status: "enabled" });
  });

  it("puts, attaches, lists and removes a canned policy", async () => {
    const document = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${policy}/*`] }],
    };
    await admin.putPolicy(policy, document);
    await admin.setUserPolicy(accessKey, policy);
    expect((await admin.getUser(accessKey))?.policyName).toBe(policy);
    expect(Object.keys(await admin.listPolicies())).toContain(policy);
    await admin.removeUser(accessKey);
    await admin.removePolicy(policy);
    expect(Object.keys(await admin.listPolicies())).not.toContain(policy);
    expect(await admin.getUser(accessKey)).toBeUndefined();
  });

  it("answers a precise code for a quota on a bucket that does not exist", async () => {
    const error = await admin.setBucketQuota(`absent-${suffix}`, 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MinioAdminError);
    expect((error as MinioAdminError).code).toBe("NoSuchBucket");
  });

  it("is refused when signed with a wrong key", async () => {
    const wrong = new MinioAdminClient({
      endpoint,
      credentials: { accessKeyId: "nobody-here", secretAccessKey: "wrong-secret" },
    });
    const error = await wrong.listUsers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MinioAdminError);
    expect((error as MinioAdminError).code).toBe("InvalidAccessKeyId");
  });

  it("reports a dead endpoint as unreachable within its timeout", async () => {
    const dead = new MinioAdminClient({
      endpoint: "http://127.0.0.1:1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
      timeoutMs: 300,
    });
    await expect(dead.listUsers()).rejects.toBeInstanceOf(ServiceUnreachableError);
  });
});
