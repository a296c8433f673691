import type { ListedImage, Rbd } from "./cli/rbd.js";
import type { VolumeCaps, VolumeIdentities } from "./volume-identity.js";

/** An image as one pool listing shows it (without its snapshots). */
export type ListedVolumeImage = Omit<ListedImage, "snapshot" | "protected">;

interface Listing<T> {
  readonly at: number;
  readonly value: Promise<T>;
}

/**
 * What a resync sweep reads once instead of once per volume: each pool's images (`rbd ls -l`: name, id,
 * size, parent) and the cluster's cephx users with their caps (one `auth ls` on a long-lived `ceph`). A
 * listing is shared by every apply within `maxAgeMs` of when it was asked for, so that a sweep of N volumes
 * costs one listing per pool and one of the users, not N of each.
 *
 * A listing older than a change the provider made itself can only be trusted where it agrees with the
 * provider's record: a resize the spec asked for, a new parent chain or new caps make the record differ from
 * it, and the volume then takes the per-volume path. A change made outside the provider shows in the first
 * listing asked for after it.
 */
export class ResyncListings {
  private readonly pools = new Map<string, Listing<ReadonlyMap<string, ListedVolumeImage>>>();
  private users: Listing<ReadonlyMap<string, VolumeCaps>> | undefined;

  constructor(
    private readonly rbd: Rbd,
    private readonly identities: VolumeIdentities,
    /** 0: every call lists afresh. */
    private readonly maxAgeMs: number,
    /** The names of the users this backend may have made: only their caps are kept from `auth ls`. */
    private readonly isVolumeUser: (entity: string) => boolean,
  ) {}

  /** The images of `pool` by name. */
  images(pool: string, signal?: AbortSignal): Promise<ReadonlyMap<string, ListedVolumeImage>> {
    const listing = this.pools.get(pool);
    if (listing && this.fresh(listing)) return listing.value;
    const value = this.rbd.list(pool, signal).then(imagesByName);
    this.pools.set(pool, { at: Date.now(), value });
    // A failed listing is not shared: the next call lists again.
    value.catch(() => {
      if (this.pools.get(pool)?.value === value) this.pools.delete(pool);
    });
    return value;
  }

  /** The caps of the volume users (`client.<prefix>-<owner>-vol-…`) that exist, by entity. */
  volumeUsers(signal?: AbortSignal): Promise<ReadonlyMap<string, VolumeCaps>> {
    if (this.users && this.fresh(this.users)) return this.users.value;
    const value = this.identities.listCaps(this.isVolumeUser, signal);
    const listing = { at: Date.now(), value };
    this.users = listing;
    value.catch(() => {
      if (this.users === listing) this.users = undefined;
    });
    return value;
  }

  private fresh(listing: Listing<unknown>): boolean {
    return Date.now() - listing.at < this.maxAgeMs;
  }
}

function imagesByName(rows: readonly ListedImage[]): ReadonlyMap<string, ListedVolumeImage> {
  const images = new Map<string, ListedVolumeImage>();
  for (const row of rows) {
    if (row.snapshot !== undefined) continue;
    images.set(row.image, {
      image: row.image,
      id: row.id,
      size: row.size,
      ...(row.parent ? { parent: row.parent } : {}),
    });
  }
  return images;
}
