import type { BackendFactory, BucketBackend, SettingDefinitions, SettingValues } from "@iri/backend-api";

// The same settings for each store, under the store's own flag prefix (only one backend runs at a time, but
// every factory's settings are parsed and listed together, so keys and flags must differ between them).
export function storeSettings(store: "rgw" | "minio", defaultEndpoint: string) {
  const flag = (name: string) => `${store}-${name}`;
  const env = (name: string) => `${store.toUpperCase()}_${name}`;
  return {
    endpoint: {
      flag: flag("endpoint"),
      env: env("ENDPOINT"),
      kind: "string",
      default: defaultEndpoint,
      description: `URL of the ${store === "rgw" ? "RADOS Gateway" : "MinIO server"} the provider talks to (S3 and admin API).`,
    },
    accessKey: {
      flag: flag("access-key-file"),
      env: env("ACCESS_KEY_FILE"),
      kind: "secretFile",
      default: "",
      description:
        store === "rgw"
          ? "File holding the access key of an RGW user with caps users=*;buckets=*."
          : "File holding the access key of the MinIO root user (or an admin user).",
    },
    secretKey: {
      flag: flag("secret-key-file"),
      env: env("SECRET_KEY_FILE"),
      kind: "secretFile",
      default: "",
      description: "File holding the secret key that belongs to the access key.",
    },
    bucketEndpoint: {
      flag: flag("bucket-endpoint"),
      env: env("BUCKET_ENDPOINT"),
      kind: "string",
      default: "",
      description:
        "URL consumers reach the store at (access.endpoint, BUCKET_HOST, BUCKET_PORT); empty: the endpoint above.",
    },
    pathStyle: {
      flag: flag("path-style"),
      env: env("PATH_STYLE"),
      kind: "boolean",
      default: "false",
      description: "Report access.endpoint as <host>/<bucket> instead of <bucket>.<host>.",
    },
    region: {
      flag: flag("region"),
      env: env("REGION"),
      kind: "string",
      default: "us-east-1",
      description: "Region consumers sign with (BUCKET_REGION).",
    },
    timeoutMs: {
      flag: flag("timeout-ms"),
      env: env("TIMEOUT_MS"),
      kind: "integer",
      default: "5000",
      min: 100,
      description:
        "Deadline of each call on the store; a store that does not answer in time counts as unreachable.",
    },
  } as const satisfies SettingDefinitions;
}

type StoreSettingDefinitions = ReturnType<typeof storeSettings>;
export type StoreSettings = SettingValues<StoreSettingDefinitions>;
type Prefixed<P extends string> = {
  readonly [K in keyof StoreSettingDefinitions as `${P}${Capitalize<K & string>}`]: StoreSettingDefinitions[K];
};

/** The settings under keys of the store's own (rgwEndpoint, minioEndpoint, …). */
function prefixed<P extends "rgw" | "minio">(store: P, defaultEndpoint: string): Prefixed<P> {
  const entries = Object.entries(storeSettings(store, defaultEndpoint)).map(([key, def]) => [
    keyOf(store, key),
    def,
  ]);
  return Object.fromEntries(entries) as Prefixed<P>;
}

export function keyOf(store: string, key: string): string {
  return `${store}${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

export const rgwSettings = prefixed("rgw", "http://127.0.0.1:7480");
export const minioSettings = prefixed("minio", "http://127.0.0.1:9000");

// Each backend's code (admin client, S3 client, AWS SDK) is imported when it opens, after the provider serves.

/** `--backend rgw`: buckets on a RADOS Gateway, one RGW user per bucket. */
export const rgwBackendFactory: BackendFactory<BucketBackend, typeof rgwSettings> = {
  name: "rgw",
  settings: rgwSettings,
  open: async (settings, context) => (await import("./open-backends.js")).openRgwBackend(settings, context),
};

/** `--backend minio`: buckets on MinIO, one user + bucket-scoped policy per bucket. */
export const minioBackendFactory: BackendFactory<BucketBackend, typeof minioSettings> = {
  name: "minio",
  settings: minioSettings,
  open: async (settings, context) => (await import("./open-backends.js")).openMinioBackend(settings, context),
};
