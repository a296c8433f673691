import { type CreationTag, formatCreationTag, type OwnedResource, parseCreationTag } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import type { ListedImage } from "./cli/rbd.js";
import { Meta, snapshotCreatedKey } from "./names.js";

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
  const metadata = await deps.rbd.metadataIfExists(pool, image, signal);
  return metadata === null ? null : ownerTagsIn(metadata).owner;
}

/** What a volume's folded `iri.tags` holds. */
export interface VolumeTags {
  readonly owner: string;
  readonly created?: string;
  readonly id: string;
  readonly wwn: string;
}

/** The metadata that tags a volume image: its folded tags, written in one call. */
export function volumeTagsOf(
  deps: BackendDeps,
  volumeId: string,
  wwn: string,
  created?: CreationTag,
): Record<string, string> {
  const tags: VolumeTags = {
    owner: deps.owner,
    ...(created ? { created: formatCreationTag(created) } : {}),
    id: volumeId,
    wwn,
  };
  return { [Meta.tags]: JSON.stringify(tags) };
}

/**
 * The owner and creation tag in an image's metadata: a volume's folded `iri.tags`, else the separate keys
 * (cache images, volumes tagged before the tags were folded). A folded value that does not parse names no
 * owner: the image is not recognised as the provider's.
 */
export function ownerTagsIn(metadata: Record<string, string>): { owner?: string; created?: string } {
  const folded = metadata[Meta.tags];
  if (folded === undefined) {
    const owner = metadata[Meta.owner];
    const created = metadata[Meta.created];
    return { ...(owner !== undefined ? { owner } : {}), ...(created !== undefined ? { created } : {}) };
  }
  try {
    const tags = JSON.parse(folded) as Partial<VolumeTags>;
    if (typeof tags.owner !== "string") return {};
    return { owner: tags.owner, ...(typeof tags.created === "string" ? { created: tags.created } : {}) };
  } catch {
    return {};
  }
}

/**
 * The metadata that tags an image as this provider instance's; a volume's also carries the creation tag of
 * the store that asked for it (cache images belong to no object and carry none).
 */
export function ownerTagOf(deps: BackendDeps, created?: CreationTag): Record<string, string> {
  return { [Meta.owner]: deps.owner, ...(created ? { [Meta.created]: formatCreationTag(created) } : {}) };
}

/** Parallel `image-meta list` calls when tags are first read (each is one short-lived rbd process). */
const OWNER_READ_CONCURRENCY = 8;

export interface OwnedImages {
  readonly volumes: OwnedResource[];
  readonly snapshots: OwnedResource[];
  /** Cached IronCore images and kept images of deleted volumes, for the garbage collector. */
  readonly others: { pool: string; image: ListedImage; owner: string; snapshots: ListedImage[] }[];
}

/** What an image's metadata says about who created it and its snapshots. */
interface ImageTags {
  readonly owner: string;
  readonly created: CreationTag | undefined;
  /** Creation tags of its snapshots, by snapshot name. */
  readonly snapshots: ReadonlyMap<string, CreationTag>;
  /** The snapshots the image had when its metadata was read (a new one makes the tags worth reading again). */
  readonly readWith: ReadonlySet<string>;
}

/**
 * Everything with the backend's name prefix in every configured pool: one `rbd ls -l` per pool (images and
 * their snapshots), plus one metadata read per image whose tags have not been read before (or that has a
 * snapshot whose tag was not there yet). The tags of an image never change, so they are cached by RBD image
 * id (a re-created image has a new id): with 10,000 images the first call reads 10,000 tags, every later one
 * only the new images'.
 */
export class OwnedImageLister {
  private readonly tags = new Map<string, ImageTags>();

  constructor(private readonly deps: BackendDeps) {}

  /**
   * `volumeTags: false` leaves volumes' (and their snapshots') tags unread: the garbage collector needs
   * the owners of cache and kept images only, and reading a burst's new volumes' tags cost one process each
   * on its first pass after the burst (the per-pool resync never reads them).
   */
  async list(
    signal?: AbortSignal,
    { volumeTags = true }: { volumeTags?: boolean } = {},
  ): Promise<OwnedImages> {
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
      const snapshotsOf = (image: ListedImage) =>
        rows.filter((r) => r.snapshot !== undefined && r.id === image.id);
      const tagged = volumeTags ? images : images.filter((r) => !r.image.startsWith(names.volumePrefix));
      await this.readTags(pool, tagged, snapshotsOf, signal);
      for (const image of images) {
        seen.add(image.id);
        const tags = this.tags.get(image.id);
        const owner = tags?.owner ?? "";
        const snapshots = snapshotsOf(image);
        if (image.image.startsWith(names.volumePrefix)) {
          result.volumes.push({
            id: image.image.slice(names.volumePrefix.length),
            owner,
            placement: { pool, image: image.image },
            ...(tags?.created ? { created: tags.created } : {}),
          });
        } else {
          result.others.push({ pool, image, owner, snapshots });
        }
        if (image.image.startsWith(names.cachePrefix)) continue;
        for (const snap of snapshots) {
          const id = names.snapshotIdOf(snap.snapshot as string);
          if (id === undefined) continue;
          const created = tags?.snapshots.get(snap.snapshot as string);
          result.snapshots.push({
            id,
            owner,
            placement: { pool, image: image.image, snapshot: snap.snapshot as string },
            ...(created ? { created } : {}),
          });
        }
      }
    }
    for (const id of this.tags.keys()) if (!seen.has(id)) this.tags.delete(id);
    return result;
  }

  private async readTags(
    pool: string,
    images: ListedImage[],
    snapshotsOf: (image: ListedImage) => ListedImage[],
    signal?: AbortSignal,
  ): Promise<void> {
    const stale = (image: ListedImage) => {
      const tags = this.tags.get(image.id);
      return tags === undefined || snapshotsOf(image).some((s) => !tags.readWith.has(s.snapshot as string));
    };
    const unknown = images.filter(stale);
    let next = 0;
    const worker = async () => {
      while (next < unknown.length) {
        const image = unknown[next++] as ListedImage;
        const metadata = await this.deps.rbd.metadata(pool, image.image, signal);
        const { owner, created } = ownerTagsIn(metadata);
        // An untagged image (a crash between create and tag) is read again next time.
        if (owner === undefined) continue;
        const snapshots = new Map<string, CreationTag>();
        for (const snap of snapshotsOf(image)) {
          const tag = parseCreationTag(metadata[snapshotCreatedKey(snap.snapshot as string)]);
          if (tag) snapshots.set(snap.snapshot as string, tag);
        }
        this.tags.set(image.id, {
          owner,
          created: parseCreationTag(created),
          snapshots,
          readWith: new Set(snapshotsOf(image).map((s) => s.snapshot as string)),
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(OWNER_READ_CONCURRENCY, unknown.length) }, worker));
  }
}
