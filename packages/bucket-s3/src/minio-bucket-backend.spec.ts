import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { MinioAdminClient } from "@iri/minio";
import { minioBackendFactory } from "./factories.js";
import { bucketExists } from "./s3-buckets.js";
import { s3ClientFor } from "./s3-client.js";
import { describeBucketBackend } from "./testdata/bucket-backend-suite.js";
import { requireEnv, type TestContext } from "./testdata/test-context.js";

const env = requireEnv(
  ["MINIO_ENDPOINT", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"],
  "MinIO: source <(bash scripts/services.sh env)",
);
const root = {
  accessKeyId: env.MINIO_ROOT_USER as string,
  secretAccessKey: env.MINIO_ROOT_PASSWORD as string,
};
const admin = new MinioAdminClient({ endpoint: env.MINIO_ENDPOINT as string, credentials: root });
const rootS3 = s3ClientFor(
  { endpoint: env.MINIO_ENDPOINT as string, region: "us-east-1", timeoutMs: 5000 },
  root,
);

export function openMinio(ctx: TestContext, options: { endpoint?: string; timeoutMs?: number } = {}) {
  return minioBackendFactory.open(
    {
      endpoint: options.endpoint ?? (env.MINIO_ENDPOINT as string),
      accessKey: root.accessKeyId,
      secretKey: root.secretAccessKey,
      bucketEndpoint: "",
      pathStyle: false,
      region: "us-east-1",
      timeoutMs: options.timeoutMs ?? 5000,
    },
    ctx.context,
  );
}

describeBucketBackend({
  name: "minio",
  objectQuota: false,
  open: openMinio,
  async emptyBucket(bucketName) {
    const listed = await rootS3.send(new ListObjectsV2Command({ Bucket: bucketName }));
    for (const object of listed.Contents ?? []) {
      await rootS3.send(new DeleteObjectCommand({ Bucket: bucketName, Key: object.Key }));
    }
  },
  async leftovers(ctx, id, bucketName) {
    const left: string[] = [];
    const accessKey = `iri-${ctx.instanceId}-${id}`;
    if (await admin.getUser(accessKey)) left.push(`user ${accessKey}`);
    const policy = `iri-bucket.${ctx.instanceId}.${id}`;
    if (policy in (await admin.listPolicies())) left.push(`policy ${policy}`);
    if (await bucketExists(rootS3, bucketName, new AbortController().signal))
      left.push(`bucket ${bucketName}`);
    return left;
  },
});
