import type { SettingDefinitions } from "@iri/backend-api";
import { noopBucketBackend } from "@iri/noop-backend";
import { commonSettings } from "@iri/runtime-kit";

export const bucketSettings = {
  ...commonSettings("bucket"),
  runtimeName: {
    flag: "runtime-name",
    env: "IRI_BUCKET_PROVIDER_RUNTIME_NAME",
    kind: "string",
    default: "iri-bucket-provider",
    description: "runtime_name reported by Version; the poollet uses it as the scheme of bucket ids.",
  },
  ...noopBucketBackend.settings,
} as const satisfies SettingDefinitions;
