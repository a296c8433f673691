import type { OwnedResource } from "@iri/backend-api";

export type OrphanPolicy = "safe" | "force" | "never";

export function parseOrphanPolicy(value: string): OrphanPolicy {
  if (value === "safe" || value === "force" || value === "never") return value;
  throw new Error(`--orphan-removal must be safe, force or never, got ${JSON.stringify(value)}`);
}

export interface OrphanVerdict {
  /** Tagged with this provider's instance id, unknown to the store, and cleared for removal. */
  readonly remove: OwnedResource[];
  /** Ours, unknown to the store, but kept: the policy, an empty store or too large a share. */
  readonly held: OwnedResource[];
  /** Tagged with another (or no) owner: never touched, only reported. */
  readonly foreign: OwnedResource[];
  /** Why `held` is not empty. */
  readonly heldBecause?: string;
}

/**
 * Decides what of a backend's resources may be removed as orphans. Only resources carrying this provider's
 * instance id are candidates. Under "safe", nothing goes when the store holds no object of the kind (a lost
 * or new state directory must not empty a pool) or when more than half of this provider's resources would go
 * (more likely a wrong state directory than a burst of crashes).
 */
export function judgeOrphans(
  owned: readonly OwnedResource[],
  instanceId: string,
  known: (id: string) => boolean,
  storedCount: number,
  policy: OrphanPolicy,
): OrphanVerdict {
  const mine = owned.filter((r) => r.owner === instanceId);
  const candidates = mine.filter((r) => !known(r.id));
  const foreign = owned.filter((r) => r.owner !== instanceId && !known(r.id));
  if (candidates.length === 0 || policy === "force") return { remove: candidates, held: [], foreign };
  if (policy === "never")
    return { remove: [], held: candidates, foreign, heldBecause: "--orphan-removal=never" };
  if (storedCount === 0) {
    return { remove: [], held: candidates, foreign, heldBecause: "the store holds no object of this kind" };
  }
  if (candidates.length > 1 && candidates.length * 2 > mine.length) {
    return {
      remove: [],
      held: candidates,
      foreign,
      heldBecause: `${candidates.length} of ${mine.length} resources would go (more than half)`,
    };
  }
  return { remove: candidates, held: [], foreign };
}
