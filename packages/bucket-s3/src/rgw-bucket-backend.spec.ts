import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { RgwAdminClient } from "@iri/rgw";
import { rgwBackendFactory } from "./factories.js";
import { describeBucketBackend } from "./testdata/bucket-backend-suite.js";
import { requireEnv } from "./testdata/test-context.js";

const env = requireEnv(
  ["RGW_ENDPOINT", "RGW_ADMIN_ACCESS_KEY", "RGW_ADMIN_SECRET_KEY"],
  "radosgw: source <(bash scripts/services.sh env)",
);
const admin = new RgwAdminClient({
  endpoint: env.RGW_ENDPOINT as string,
  credentials: {
    accessKeyId: env.RGW_ADMIN_ACCESS_KEY as string,
    secretAccessKey: env.RGW_ADMIN_SECRET_KEY as string,
  },
});

describeBucketBackend({
  name: "rgw",
  objectQuota: true,
  scratchKind: "ceph",
  open: (ctx, options = {}) => {
    const use = options.env ?? env;
    return rgwBackendFactory.open(
      {
        rgwEndpoint: options.endpoint ?? (use.RGW_ENDPOINT as string),
        rgwAccessKey: use.RGW_ADMIN_ACCESS_KEY as string,
        rgwSecretKey: `${use.RGW_ADMIN_SECRET_KEY}${options.wrongKey ? "-wrong" : ""}`,
        rgwBucketEndpoint: "",
        rgwPathStyle: false,
        rgwRegion: "us-east-1",
        rgwTimeoutMs: options.timeoutMs ?? 5000,
      },
      ctx,
    );
  },
  // The owner's keys are revoked by then: the operator gives it a key for the cleanup and takes it back.
  async emptyBucket(bucketName, uid) {
    const key = (await admin.createKey(uid)).at(-1);
    if (!key) throw new Error("no key");
    await admin.setSuspended(uid, false);
    const s3 = new S3Client({
      endpoint: env.RGW_ENDPOINT,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey },
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucketName }));
    for (const object of listed.Contents ?? []) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucketName, Key: object.Key }));
    }
    s3.destroy();
    for (const k of (await admin.getUser(uid))?.keys ?? []) await admin.removeKey(uid, k.accessKey);
    await admin.setSuspended(uid, true);
  },
  async leftovers(ctx, id, bucketName) {
    const left: string[] = [];
    const uid = `iri-${ctx.owner.instanceId}-${id}`;
    if (await admin.getUser(uid)) left.push(`user ${uid}`);
    if (await admin.getBucket(bucketName)) left.push(`bucket ${bucketName}`);
    return left;
  },
});
