import { randomBytes } from "node:crypto";
import type { OwnerIdentity } from "@iri/backend-api";
import { type Database, jsonCodec } from "@iri/store";

/**
 * The provider's instance id, created on the first start and kept in its store: every backend resource is
 * tagged with it. A new or lost store means a new id, so resources of an earlier life are never taken for
 * this provider's orphans.
 */
export async function ownerIdentity(
  db: Database,
  provider: string,
): Promise<OwnerIdentity & { created: boolean }> {
  const identities = db.collection("provider_identity", {
    spec: jsonCodec<{ instanceId: string }>(),
    status: jsonCodec<Record<string, never>>(),
  });
  const existing = identities.get(provider);
  if (existing) return { provider, instanceId: existing.spec.instanceId, created: false };
  // 12 hex chars: short enough for name prefixes (RGW users, RBD images), 48 bits against collisions.
  const instanceId = randomBytes(6).toString("hex");
  await identities.create({ id: provider, spec: { instanceId }, status: {} });
  return { provider, instanceId, created: true };
}
