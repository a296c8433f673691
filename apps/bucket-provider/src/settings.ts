import type { SettingDefinitions } from "@iri/backend-api";
import { minioBackendFactory, rgwBackendFactory } from "@iri/bucket-s3";
import { noopBucketBackend } from "@iri/noop-backend";
import { commonSettings } from "@iri/runtime-kit";

const common = commonSettings("bucket");

export const bucketSettings = {
  ...common,
  backend: {
    ...common.backend,
    default: "rgw",
    description: "Backend that realises buckets: rgw (RADOS Gateway), minio or noop (see the README).",
  },
  runtimeName: {
    flag: "runtime-name",
    env: "IRI_BUCKET_PROVIDER_RUNTIME_NAME",
    kind: "string",
    default: "iri-bucket-provider",
    description: "runtime_name reported by Version; the poollet uses it as the scheme of bucket ids.",
  },
  ...rgwBackendFactory.settings,
  ...minioBackendFactory.settings,
  ...noopBucketBackend.settings,
} as const satisfies SettingDefinitions;
