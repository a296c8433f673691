import type { OwnedResource } from "@iri/backend-api";
import type { StoreLineage } from "./owner-identity.js";

export type OrphanPolicy = "safe" | "force" | "never";

export function parseOrphanPolicy(value: string): OrphanPolicy {
  if (value === "safe" || value === "force" || value === "never") return value;
  throw new Error(`--orphan-removal must be safe, force or never, got ${JSON.stringify(value)}`);
}

/** A resource the store cannot vouch for, kept for an operator, and why. */
export interface Quarantined {
  readonly resource: OwnedResource;
  readonly because: string;
}

export interface OrphanVerdict {
  /** Tagged with this provider's instance id and a creation tag of this store, unknown to it, cleared for removal. */
  readonly remove: OwnedResource[];
  /** Ours, unknown to the store, but kept: the policy, an empty store or too large a share. */
  readonly held: OwnedResource[];
  /** Tagged with another (or no) owner: never touched, only reported. */
  readonly foreign: OwnedResource[];
  /**
   * Carrying this instance's id but no proof that this store created it: created after the store was taken
   * (a restored or copied state directory), by another copy of the state, without a creation tag, or not
   * provably the backend's own. Never removed, whatever the policy.
   */
  readonly quarantined: Quarantined[];
  /** Why `held` is not empty. */
  readonly heldBecause?: string;
}

/** Why the store cannot vouch for a resource of its instance, or undefined when it can. */
export function whyUnvouched(resource: OwnedResource, lineage: StoreLineage): string | undefined {
  if (resource.unproven !== undefined) return resource.unproven;
  const tag = resource.created;
  if (tag === undefined) return "it carries no creation tag";
  const limit = tag.lineage === lineage.current ? lineage.highWater : lineage.ancestors[tag.lineage];
  if (limit === undefined) {
    return `created by lineage ${tag.lineage}, which this store never had (another copy of the state directory)`;
  }
  if (tag.generation > limit) {
    return `created at generation ${tag.generation}, after this store's high-water mark ${limit} (a restored or copied state directory)`;
  }
  return undefined;
}

/**
 * Decides what of a backend's resources may be removed as orphans. Only resources carrying this provider's
 * instance id and a creation tag this store handed out are candidates; the rest of this instance's unknown
 * resources are quarantined. Under "safe", nothing goes when the store holds no object of the kind (a lost
 * or new state directory must not empty a pool) or when more than half of this provider's resources would go
 * (more likely a wrong state directory than a burst of crashes).
 */
export function judgeOrphans(
  owned: readonly OwnedResource[],
  instanceId: string,
  lineage: StoreLineage,
  known: (id: string) => boolean,
  storedCount: number,
  policy: OrphanPolicy,
): OrphanVerdict {
  const mine = owned.filter((r) => r.owner === instanceId);
  const foreign = owned.filter((r) => r.owner !== instanceId && !known(r.id));
  const candidates: OwnedResource[] = [];
  const quarantined: Quarantined[] = [];
  for (const resource of mine) {
    if (known(resource.id)) continue;
    const because = whyUnvouched(resource, lineage);
    if (because === undefined) candidates.push(resource);
    else quarantined.push({ resource, because });
  }
  const verdict = { foreign, quarantined };
  if (candidates.length === 0 || policy === "force") return { remove: candidates, held: [], ...verdict };
  if (policy === "never")
    return { remove: [], held: candidates, ...verdict, heldBecause: "--orphan-removal=never" };
  if (storedCount === 0) {
    return {
      remove: [],
      held: candidates,
      ...verdict,
      heldBecause: "the store holds no object of this kind",
    };
  }
  if (candidates.length > 1 && candidates.length * 2 > mine.length) {
    return {
      remove: [],
      held: candidates,
      ...verdict,
      heldBecause: `${candidates.length} of ${mine.length} resources would go (more than half)`,
    };
  }
  return { remove: candidates, held: [], ...verdict };
}
