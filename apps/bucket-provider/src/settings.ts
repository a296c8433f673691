import { commonSettings, type SettingDefinition } from "@iri/runtime-kit";

export const bucketSettings = {
  ...commonSettings("bucket"),
  runtimeName: {
    flag: "runtime-name",
    env: "IRI_BUCKET_PROVIDER_RUNTIME_NAME",
    kind: "string",
    default: "iri-bucket-provider",
    description: "runtime_name reported by Version; the poollet uses it as the scheme of bucket ids.",
  },
} as const satisfies Record<string, SettingDefinition>;
