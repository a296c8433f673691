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
    // A bucket's reconcile waits on its object store (a few HTTP calls, little CPU): with the common 4 a
    // bucketpoollet's burst of 100 creates took 7× the same calls made 16 at a time. MinIO's add-user
    // derives a 64 MiB argon2id key on the server per call: lower this for a small MinIO.
    workers: { ...common.workers, default: "16" },
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
