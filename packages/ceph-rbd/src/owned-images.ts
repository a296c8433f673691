import type { OwnedResource } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import type { ListedImage } from "./cli/rbd.js";
import { Meta } from "./names.js";

/**
 * The owner tag of an image (its `iri.owner` metadata): undefined when unset, null when the image does not
 * exist. Every read of the tag goes through here; the volume's own consumer key can rewrite it on a volume
 * image, so it decides only for images the provider's store has no record of.
 */
export async function readOwnerTag(
  deps: BackendDeps,
  pool: string,
  image: string,
  signal?: AbortSignal,
): Promise<string | undefined | null> {
  return deps.rbd.metadataValueIfExists(pool, image, Meta.owner, signal);
}

/** The metadata that tags an image as this provider instance's. */
export function ownerTagOf(deps: BackendDeps): Record<string, string> {
  return { [Meta.owner]: deps.owner };
}

/** Parallel `image-meta get` calls when owners are first read (each is one short-lived rbd process). */
const OWNER_READ_CONCURRENCY = 8;

export interface OwnedImages {
  readonly volumes: OwnedResource[];
  readonly snapshots: OwnedResource[];
  /** Cached IronCore images and kept images of deleted volumes, for the garbage collector. */
  readonly others: { pool: string; image: ListedImage; owner: string; snapshots: ListedImage[] }[];
}

/**
 * Everything with the backend's name prefix in every configured pool: one `rbd ls -l` per pool (images and
 * their snapshots), plus one metadata read per image whose owner tag has not been read before. The tag of an
 * image never changes, so owners are cached by RBD image id (a re-created image has a new id): with 10,000
 * images the first call reads 10,000 tags, every later one only the new images'.
 */
export class OwnedImageLister {
  private readonly owners = new Map<string, string>();

  constructor(private readonly deps: BackendDeps) {}

  async list(signal?: AbortSignal): Promise<OwnedImages> {
    const { names } = this.deps;
    const result: OwnedImages = { volumes: [], snapshots: [], others: [] };
    const seen = new Set<string>();
    for (const pool of this.deps.pools) {
      const rows = await this.deps.rbd.list(pool, signal);
      const images = rows.filter(
        (r) =>
          r.snapshot === undefined &&
          (r.image.startsWith(names.volumePrefix) ||
            r.image.startsWith(names.keptPrefix) ||
            r.image.startsWith(names.cachePrefix)),
      );
      await this.readOwners(pool, images, signal);
      for (const image of images) {
        seen.add(image.id);
        const owner = this.owners.get(image.id) ?? "";
        const snapshots = rows.filter((r) => r.snapshot !== undefined && r.id === image.id);
        if (image.image.startsWith(names.volumePrefix)) {
          result.volumes.push({
            id: image.image.slice(names.volumePrefix.length),
            owner,
            placement: { pool, image: image.image },
          });
        } else {
          result.others.push({ pool, image, owner, snapshots });
        }
        if (image.image.startsWith(names.cachePrefix)) continue;
        for (const snap of snapshots) {
          const id = names.snapshotIdOf(snap.snapshot as string);
          if (id === undefined) continue;
          result.snapshots.push({
            id,
            owner,
            placement: { pool, image: image.image, snapshot: snap.snapshot as string },
          });
        }
      }
    }
    for (const id of this.owners.keys()) if (!seen.has(id)) this.owners.delete(id);
    return result;
  }

  private async readOwners(pool: string, images: ListedImage[], signal?: AbortSignal): Promise<void> {
    const unknown = images.filter((image) => !this.owners.has(image.id));
    let next = 0;
    const worker = async () => {
      while (next < unknown.length) {
        const image = unknown[next++] as ListedImage;
        const owner = await readOwnerTag(this.deps, pool, image.image, signal);
        // An untagged image (a crash between create and tag) is read again next time.
        if (typeof owner === "string") this.owners.set(image.id, owner);
      }
    };
    await Promise.all(Array.from({ length: Math.min(OWNER_READ_CONCURRENCY, unknown.length) }, worker));
  }
}
