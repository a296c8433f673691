import type { SettingDefinitions } from "@iri/backend-api";

const env = (name: string) => `CEPH_${name}`;

/** The ceph backend's own flags (each with a CEPH_* environment fallback, under the app's prefix). */
export const cephRbdSettings = {
  monitors: {
    flag: "ceph-monitors",
    env: env("MONITORS"),
    kind: "string",
    default: "",
    description:
      "Required. Comma-separated host:port of the Ceph monitors; also handed to consumers as the `monitors` access attribute.",
  },
  adminId: {
    flag: "ceph-admin-id",
    env: env("ADMIN_ID"),
    kind: "string",
    default: "admin",
    description: "cephx user (without `client.`) the provider manages images and the consumer client with.",
  },
  adminKeyFile: {
    flag: "ceph-admin-key-file",
    env: env("ADMIN_KEY_FILE"),
    kind: "secretFile",
    default: "",
    description: "Required. File holding the admin user's cephx key, bare or as a keyring; never handed out.",
  },
  consumerId: {
    flag: "ceph-consumer-id",
    env: env("CONSUMER_ID"),
    kind: "string",
    default: "",
    description:
      "The pool-wide cephx user (without `client.`) earlier versions handed to every volume; volumes move to users of their own and it is removed once none uses it. A user of that name with other caps is refused at start. Empty: `iri-volume-<instance id>`.",
  },
  pool: {
    flag: "ceph-pool",
    env: env("POOL"),
    kind: "string",
    default: "rbd",
    description: "Pool of classes whose settings name no `pool`; must exist.",
  },
  extraPools: {
    flag: "ceph-pools",
    env: env("POOLS"),
    kind: "string",
    default: "",
    description: "Further comma-separated pools that classes may name (`settings.pool`); each must exist.",
  },
  namePrefix: {
    flag: "ceph-name-prefix",
    env: env("NAME_PREFIX"),
    kind: "string",
    default: "iri",
    description: "Prefix of every RBD image name the backend creates (`<prefix>-vol-<id>`, …).",
  },
  timeoutSeconds: {
    flag: "ceph-timeout-seconds",
    env: env("TIMEOUT_SECONDS"),
    kind: "integer",
    default: "10",
    min: 1,
    description: "Seconds a monitor or OSD may take to answer before a call fails as unavailable.",
  },
  toolNiceness: {
    flag: "ceph-tool-niceness",
    env: env("TOOL_NICENESS"),
    kind: "integer",
    default: "10",
    min: 0,
    description:
      "Niceness added to the provider's for every `rbd`/`ceph` it starts, so that Status and List are served first while a burst of volumes saturates the CPUs; 0: the provider's priority (Linux caps the sum at 19).",
  },
  qosBurstFactor: {
    flag: "ceph-qos-burst-factor",
    env: env("QOS_BURST_FACTOR"),
    kind: "integer",
    default: "10",
    min: 1,
    description: "QoS bursts allow this multiple of a class's iops and tps …",
  },
  qosBurstSeconds: {
    flag: "ceph-qos-burst-seconds",
    env: env("QOS_BURST_SECONDS"),
    kind: "integer",
    default: "15",
    min: 1,
    description: "… for this many seconds.",
  },
  resyncListingMs: {
    flag: "ceph-resync-listing-ms",
    env: env("RESYNC_LISTING_MS"),
    kind: "integer",
    default: "30000",
    min: 0,
    description:
      "A resync confirms an unchanged volume from one `rbd ls -l` per pool and one `auth ls`, shared by the volumes reconciled within this many milliseconds of it; 0: read for every volume.",
  },
  imageCacheGcSeconds: {
    flag: "ceph-image-cache-gc-seconds",
    env: env("IMAGE_CACHE_GC_SECONDS"),
    kind: "integer",
    default: "3600",
    min: 0,
    description: "A cached IronCore image no volume has used for this long is removed.",
  },
  registryCaFile: {
    flag: "ceph-registry-ca-file",
    env: env("REGISTRY_CA_FILE"),
    kind: "string",
    default: "",
    description: "PEM file of CA certificates trusted (besides the system's) when pulling IronCore images.",
  },
  registryDockerConfig: {
    flag: "ceph-registry-docker-config",
    env: env("REGISTRY_DOCKER_CONFIG"),
    kind: "string",
    default: "",
    description:
      "Docker config.json with registry credentials; empty: $DOCKER_CONFIG/config.json or ~/.docker/config.json if present.",
  },
} as const satisfies SettingDefinitions;

export type CephRbdSettings = typeof cephRbdSettings;
