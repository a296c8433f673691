import { commonSettings, type SettingDefinition } from "@iri/runtime-kit";

export const volumeSettings = {
  ...commonSettings("volume"),
  runtimeName: {
    flag: "runtime-name",
    env: "IRI_VOLUME_PROVIDER_RUNTIME_NAME",
    kind: "string",
    default: "iri-volume-provider",
    description: "runtime_name reported by Version; the poollet uses it as the scheme of volume ids.",
  },
  noopCapacityBytes: {
    flag: "noop-capacity-bytes",
    env: "IRI_VOLUME_PROVIDER_NOOP_CAPACITY_BYTES",
    kind: "integer",
    default: "1099511627776",
    description: "Capacity the noop backend pretends to have.",
  },
} as const satisfies Record<string, SettingDefinition>;
