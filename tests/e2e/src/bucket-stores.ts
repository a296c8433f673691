// The shared object stores (radosgw, MinIO from scripts/services.sh) for e2e tests: provider flags and what a
// store still holds for a bucket id.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MinioAdminClient } from "@iri/minio";
import { RgwAdminClient } from "@iri/rgw";

export type Store = "rgw" | "minio";

function requireEnv(names: string[]): Record<string, string> {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not set: run with the services up (source <(bash scripts/services.sh env))`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n] as string]));
}

const env = requireEnv([
  "RGW_ENDPOINT",
  "RGW_ADMIN_ACCESS_KEY",
  "RGW_ADMIN_SECRET_KEY",
  "MINIO_ENDPOINT",
  "MINIO_ROOT_USER",
  "MINIO_ROOT_PASSWORD",
]);
export const stores = {
  rgw: { endpoint: env.RGW_ENDPOINT, access: env.RGW_ADMIN_ACCESS_KEY, secret: env.RGW_ADMIN_SECRET_KEY },
  minio: { endpoint: env.MINIO_ENDPOINT, access: env.MINIO_ROOT_USER, secret: env.MINIO_ROOT_PASSWORD },
} as Record<Store, { endpoint: string; access: string; secret: string }>;

/** The flags that point the provider at a store; the admin keys go in 0600 files, never in argv. */
export function backendArgs(store: Store, dir: string): string[] {
  const { endpoint, access, secret } = stores[store];
  const accessFile = join(dir, `${store}-access-key`);
  const secretFile = join(dir, `${store}-secret-key`);
  writeFileSync(accessFile, access, { mode: 0o600 });
  writeFileSync(secretFile, secret, { mode: 0o600 });
  return [
    "--backend",
    store,
    `--${store}-endpoint`,
    endpoint,
    `--${store}-access-key-file`,
    accessFile,
    `--${store}-secret-key-file`,
    secretFile,
  ];
}

/** What the store still holds for a bucket id, found by name (users, policies, the bucket). */
export async function leftovers(store: Store, id: string): Promise<string[]> {
  const { endpoint, access, secret } = stores[store];
  const credentials = { accessKeyId: access, secretAccessKey: secret };
  if (store === "rgw") {
    const admin = new RgwAdminClient({ endpoint, credentials });
    const users = (await admin.listUserIds()).filter((u) => u.endsWith(`-${id}`));
    return [...users, ...((await admin.getBucket(id)) ? [`bucket ${id}`] : [])];
  }
  const admin = new MinioAdminClient({ endpoint, credentials });
  const users = (await admin.listUsers()).map((u) => u.accessKey).filter((u) => u.endsWith(`-${id}`));
  const policies = Object.keys(await admin.listPolicies()).filter((p) => p.endsWith(`.${id}`));
  return [...users, ...policies];
}
