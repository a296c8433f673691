import type {
  BackendContext,
  BackendFactory,
  BucketBackend,
  SettingDefinitions,
  SettingValues,
} from "@iri/backend-api";
import { MinioAdminClient, MinioAdminError } from "@iri/minio";
import { RgwAdminClient, RgwAdminError } from "@iri/rgw";
import type { AccessSettings } from "./access.js";
import { checkInstanceId } from "./bucket-names.js";
import { MinioBucketBackend } from "./minio-bucket-backend.js";
import { RgwBucketBackend } from "./rgw-bucket-backend.js";
import { type S3ClientSettings, s3ClientFor } from "./s3-client.js";
import { onStore } from "./store-errors.js";

// The same settings for each store, under the store's own flag prefix (only one backend runs at a time, but
// every factory's settings are parsed and listed together, so keys and flags must differ between them).
function storeSettings(store: "rgw" | "minio", defaultEndpoint: string) {
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
type StoreSettings = SettingValues<StoreSettingDefinitions>;
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

function keyOf(store: string, key: string): string {
  return `${store}${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

/** The parsed values back under the neutral keys. */
function unprefixed(store: string, values: Readonly<Record<string, unknown>>): StoreSettings {
  const keys = Object.keys(storeSettings("rgw", ""));
  return Object.fromEntries(keys.map((key) => [key, values[keyOf(store, key)]])) as unknown as StoreSettings;
}

const rgwSettings = prefixed("rgw", "http://127.0.0.1:7480");
const minioSettings = prefixed("minio", "http://127.0.0.1:9000");

interface ResolvedStore {
  /** What the admin client needs: the endpoint, the admin key, the deadline. */
  readonly client: {
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    timeoutMs: number;
  };
  readonly s3: S3ClientSettings;
  readonly access: AccessSettings;
}

/** Validates a store's settings (and the owner id the backend tags with) into what its backend needs. */
function resolve(
  store: "rgw" | "minio",
  settings: Readonly<Record<string, unknown>>,
  context: BackendContext,
): ResolvedStore {
  checkInstanceId(context.owner.instanceId);
  const values = unprefixed(store, settings);
  const url = parseUrl(`--${store}-endpoint`, values.endpoint);
  const publicEndpoint =
    values.bucketEndpoint === "" ? url : parseUrl(`--${store}-bucket-endpoint`, values.bucketEndpoint);
  if (values.accessKey === "" || values.secretKey === "") {
    throw new Error(`the ${store} backend needs --${store}-access-key-file and --${store}-secret-key-file`);
  }
  const endpoint = url.origin;
  return {
    client: {
      endpoint,
      credentials: { accessKeyId: values.accessKey, secretAccessKey: values.secretKey },
      timeoutMs: values.timeoutMs,
    },
    s3: { endpoint, region: values.region, timeoutMs: values.timeoutMs },
    access: { publicEndpoint, pathStyle: values.pathStyle, region: values.region },
  };
}

function parseUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag}: ${JSON.stringify(value)} is not a URL (e.g. http://127.0.0.1:7480)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`${flag}: must be an http or https URL`);
  return url;
}

// A refused admin key stops the provider at start with what it needs; an unreachable store with
// BackendUnavailableError.
async function adminCheck(store: string, needs: string, check: () => Promise<unknown>): Promise<void> {
  try {
    await onStore(`${store} admin check`, check);
  } catch (error) {
    if (error instanceof RgwAdminError || error instanceof MinioAdminError) {
      throw new Error(`${store} refused the admin key (${error.code}); it must belong to ${needs}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** `--backend rgw`: buckets on a RADOS Gateway, one RGW user per bucket. */
export const rgwBackendFactory: BackendFactory<BucketBackend, typeof rgwSettings> = {
  name: "rgw",
  settings: rgwSettings,
  async open(settings, context) {
    const store = resolve("rgw", settings, context);
    const admin = new RgwAdminClient(store.client);
    // Reachability, the admin key and its caps: listing users needs users=read, bucket stats buckets=read.
    await adminCheck("RGW", "an RGW user with caps users=*;buckets=*", async () => {
      await admin.listUserIds();
      await admin.getBucket("iri-provider-open-check");
    });
    return new RgwBucketBackend({ admin, s3: store.s3, access: store.access, context });
  },
};

/** `--backend minio`: buckets on MinIO, one user + bucket-scoped policy per bucket. */
export const minioBackendFactory: BackendFactory<BucketBackend, typeof minioSettings> = {
  name: "minio",
  settings: minioSettings,
  async open(settings, context) {
    const store = resolve("minio", settings, context);
    const admin = new MinioAdminClient(store.client);
    // Reachability, the admin key and the encrypted-body round trip in one call.
    await adminCheck("MinIO", "the root user or an admin user", () => admin.listUsers());
    const s3 = s3ClientFor(store.s3, store.client.credentials);
    return new MinioBucketBackend({ admin, s3, access: store.access, context });
  },
};
