import type { SettingDefinitions } from "@iri/backend-api";
import { cephRbdBackend } from "@iri/ceph-rbd";
import { commonSettings, composeSettings, providerEnvPrefix } from "@iri/runtime-kit";
import { volumeBackends } from "./backends.js";

const common = commonSettings("volume");

export const volumeSettings = composeSettings(
  {
    ...common,
    backend: { ...common.backend, default: cephRbdBackend.name },
    // A volume's reconcile mostly waits for rbd processes (a few per volume, ~0.2 s each), so a pool-scale
    // burst needs as many in flight as a poollet's callers send, not as many as the host has cores.
    workers: {
      ...common.workers,
      default: "16",
      description: "Objects reconciled at once (per kind); each mostly waits for rbd/ceph processes.",
    },
    runtimeName: {
      flag: "runtime-name",
      env: "IRI_VOLUME_PROVIDER_RUNTIME_NAME",
      kind: "string",
      default: "iri-volume-provider",
      description: "runtime_name reported by Version; the poollet uses it as the scheme of volume ids.",
    },
    maxVolumeBytes: {
      flag: "max-volume-bytes",
      env: "IRI_VOLUME_PROVIDER_MAX_VOLUME_BYTES",
      kind: "integer",
      default: "70368744177664",
      min: 1,
      description:
        "Largest volume a create or expand may ask for (64 TiB by default); larger → InvalidArgument.",
    },
    overprovisioningPercent: {
      flag: "overprovisioning-percent",
      env: "IRI_VOLUME_PROVIDER_OVERPROVISIONING_PERCENT",
      kind: "integer",
      default: "100",
      min: 1,
      description:
        "Bytes of volumes offered per 100 bytes of pool capacity (thin provisioning: above 100 promises more than the pool holds).",
    },
  } as const satisfies SettingDefinitions,
  volumeBackends,
  providerEnvPrefix("volume"),
);
