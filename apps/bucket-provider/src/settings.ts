import type { SettingDefinitions } from "@iri/backend-api";
import { commonSettings, composeSettings, providerEnvPrefix } from "@iri/runtime-kit";
import { bucketBackends } from "./backends.js";

const common = commonSettings("bucket");

export const bucketSettings = composeSettings(
  {
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
  } as const satisfies SettingDefinitions,
  bucketBackends,
  providerEnvPrefix("bucket"),
);
