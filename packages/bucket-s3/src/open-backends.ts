// What the rgw and minio backends run when they open: imported by factories.ts only then, after the provider
// serves, so that a start does not load the admin clients and the AWS SDK before it answers.
import type { BackendContext, BucketBackend, SettingValues } from "@iri/backend-api";
import { MinioAdminClient, MinioAdminError } from "@iri/minio";
import { RgwAdminClient, RgwAdminError } from "@iri/rgw";
import type { AccessSettings } from "./access.js";
import { checkInstanceId } from "./bucket-names.js";
import {
  keyOf,
  type minioSettings,
  type rgwSettings,
  type StoreSettings,
  storeSettings,
} from "./factories.js";
import { MinioBucketBackend } from "./minio-bucket-backend.js";
import { RgwBucketBackend } from "./rgw-bucket-backend.js";
import { type S3ClientSettings, s3ClientFor } from "./s3-client.js";
import { onStore } from "./store-errors.js";

/** The parsed values back under the neutral keys. */
function unprefixed(store: string, values: Readonly<Record<string, unknown>>): StoreSettings {
  const keys = Object.keys(storeSettings("rgw", ""));
  return Object.fromEntries(keys.map((key) => [key, values[keyOf(store, key)]])) as unknown as StoreSettings;
}

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

/** Opens `--backend rgw`. */
export async function openRgwBackend(
  settings: SettingValues<typeof rgwSettings>,
  context: BackendContext,
): Promise<BucketBackend> {
  const store = resolve("rgw", settings, context);
  const admin = new RgwAdminClient(store.client);
  // Reachability, the admin key and its caps: listing users needs users=read, bucket stats buckets=read.
  await adminCheck("RGW", "an RGW user with caps users=*;buckets=*", async () => {
    await admin.listUserIds();
    await admin.getBucket("iri-provider-open-check");
  });
  return new RgwBucketBackend({ admin, s3: store.s3, access: store.access, context });
}

/** Opens `--backend minio`. */
export async function openMinioBackend(
  settings: SettingValues<typeof minioSettings>,
  context: BackendContext,
): Promise<BucketBackend> {
  const store = resolve("minio", settings, context);
  const admin = new MinioAdminClient(store.client);
  // Reachability, the admin key and the encrypted-body round trip in one call.
  await adminCheck("MinIO", "the root user or an admin user", () => admin.listUsers());
  const s3 = s3ClientFor(store.s3, store.client.credentials);
  return new MinioBucketBackend({ admin, s3, access: store.access, context });
}
