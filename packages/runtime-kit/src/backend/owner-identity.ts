import { randomBytes } from "node:crypto";
import type { CreationTag, OwnerIdentity } from "@iri/backend-api";
import { type Collection, type Database, jsonCodec } from "@iri/store";

/** What the store knows about which of its lives created what (see docs/decisions.md, "Orphans need proof"). */
export interface StoreLineage {
  /** The token of this life of the provider: new at every start. */
  readonly current: string;
  /** The highest creation generation this store handed out (committed before the resource was created). */
  readonly highWater: number;
  /** Earlier lives of this store: token → the high-water mark when the next life began. */
  readonly ancestors: Readonly<Record<string, number>>;
}

interface IdentitySpec {
  instanceId: string;
  lineage?: string;
  highWater?: number;
  ancestors?: Record<string, number>;
}

export interface ProviderIdentity extends OwnerIdentity {
  /** True when the store had none: a new (or lost) state directory. */
  readonly created: boolean;
  lineage(): StoreLineage;
  /** The tag of a resource about to be created: the high-water mark is raised and committed first. */
  nextTag(): Promise<CreationTag>;
}

/**
 * The provider's instance id, created on the first start and kept in its store: every backend resource is
 * tagged with it. A new or lost store means a new id, so resources of an earlier life are never taken for
 * this provider's orphans. Every start also begins a new lineage token, and every resource gets a creation
 * generation from a counter kept in the store: a restored or copied store cannot vouch for what was created
 * after it was taken (a generation above its high-water mark, or a lineage it never had).
 */
export async function ownerIdentity(db: Database, provider: string): Promise<ProviderIdentity> {
  const identities: Collection<IdentitySpec, Record<string, never>> = db.collection("provider_identity", {
    spec: jsonCodec<IdentitySpec>(),
    status: jsonCodec<Record<string, never>>(),
  });
  const existing = identities.get(provider);
  const lineage = randomBytes(6).toString("hex");
  let instanceId: string;
  if (existing) {
    instanceId = existing.spec.instanceId;
    await identities.mutate(provider, (current) => {
      const ancestors = { ...current.spec.ancestors };
      if (current.spec.lineage) ancestors[current.spec.lineage] = current.spec.highWater ?? 0;
      return { spec: { ...current.spec, lineage, ancestors, highWater: current.spec.highWater ?? 0 } };
    });
  } else {
    // 12 hex chars: short enough for name prefixes (RGW users, RBD images), 48 bits against collisions.
    instanceId = randomBytes(6).toString("hex");
    await identities.create({
      id: provider,
      spec: { instanceId, lineage, highWater: 0, ancestors: {} },
      status: {},
    });
  }
  const read = (): StoreLineage => {
    const spec = identities.get(provider)?.spec;
    return { current: lineage, highWater: spec?.highWater ?? 0, ancestors: spec?.ancestors ?? {} };
  };
  return {
    provider,
    instanceId,
    created: existing === undefined,
    lineage: read,
    nextTag: highWaterRaiser(identities, provider, lineage),
  };
}

/** Callers waiting for the same raise of the high-water mark. */
interface RaiseGroup {
  size: number;
  /** The high-water mark once the raise is committed: the group's generations end there. */
  top: Promise<number>;
}

/**
 * nextTag: every caller's generation committed before it is handed out, in one write per group of callers.
 * All tags raise the same record, so concurrent raises as separate writes conflicted in a group commit and
 * were retried one commit at a time: a burst of N reconciles waited for N fsyncs in a row before its first
 * backend call. Callers that arrive while a raise is being committed join the next one, which raises the
 * mark by their number.
 */
function highWaterRaiser(
  identities: Collection<IdentitySpec, Record<string, never>>,
  provider: string,
  lineage: string,
): () => Promise<CreationTag> {
  let joining: RaiseGroup | undefined;
  let previous: Promise<unknown> = Promise.resolve();
  return async () => {
    let group = joining;
    if (group === undefined) {
      const raise: RaiseGroup = { size: 0, top: Promise.resolve(0) };
      raise.top = previous.then(async () => {
        // From here on, callers form the next group: this one's size is final.
        if (joining === raise) joining = undefined;
        const updated = await identities.mutate(provider, (current) => ({
          spec: { ...current.spec, highWater: (current.spec.highWater ?? 0) + raise.size },
        }));
        return updated.spec.highWater ?? 0;
      });
      previous = raise.top.catch(() => undefined);
      joining = raise;
      group = raise;
    }
    const index = group.size++;
    const top = await group.top;
    return { lineage, generation: top - group.size + 1 + index };
  };
}
