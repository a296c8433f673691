import { createHash } from "node:crypto";

/** Image metadata keys this backend writes on every image it creates. */
export const Meta = {
  /** The provider instance that created the image: nothing else is ever removed. */
  owner: "iri.owner",
  /** The creation tag (formatCreationTag) of the store that asked for the volume. */
  created: "iri.created",
  /** The volume (or cache digest) the image belongs to. */
  id: "iri.id",
  /** The volume's stable WWN, returned as the access handle. */
  wwn: "iri.wwn",
  /**
   * A volume's owner, creation tag, id and WWN in one JSON value (`VolumeTags`): one `image-meta set` instead
   * of four, and all or none of them after a crash. Cache images and volumes made before keep the separate keys.
   */
  tags: "iri.tags",
  /** "luks2" once the image (or the parent it was cloned from) carries a LUKS2 header. */
  encryption: "iri.encryption",
  /** "1" once an encrypted volume made from an unencrypted source holds the source's data. */
  filled: "iri.filled",
  /** Cache images only: when (ms since the epoch) the collector first saw it without clones. */
  unusedSince: "iri.unused-since",
} as const;

/** The metadata key, on its image, of the creation tag of snapshot `snapshot`. */
export function snapshotCreatedKey(snapshot: string): string {
  return `${Meta.created}.${snapshot}`;
}

/**
 * RBD names, all derived from a prefix that carries nothing secret:
 * - `<p>-vol-<volume id>`: a volume;
 * - `<p>-kept-<volume id>`: a deleted volume kept (not listed) until its last snapshot goes;
 * - `<p>-snap-<snapshot id>`: an RBD snapshot of one of those, for a volume snapshot;
 * - `<p>-img-<owner>-<sha256 hex>`: the cached rootfs of an IronCore image (per owner, so that providers
 *   sharing a pool never share, or collect, each other's caches), snapshot `<p>-base`;
 * - `client.<p>-<owner>-vol-<volume id>`: the cephx user of a volume.
 */
export class ImageNames {
  readonly volumePrefix: string;
  readonly keptPrefix: string;
  readonly snapshotPrefix: string;
  readonly cachePrefix: string;
  readonly cacheSnapshot: string;
  private readonly identityPrefix: string;

  constructor(
    prefix: string,
    /** A name-safe form of the owner instance id. */
    private readonly owner: string,
  ) {
    this.volumePrefix = `${prefix}-vol-`;
    this.keptPrefix = `${prefix}-kept-`;
    this.snapshotPrefix = `${prefix}-snap-`;
    this.cachePrefix = `${prefix}-img-`;
    this.cacheSnapshot = `${prefix}-base`;
    this.identityPrefix = `${prefix}-${owner}-vol-`;
  }

  volume(volumeId: string): string {
    return this.volumePrefix + checkId(volumeId);
  }

  kept(volumeId: string): string {
    return this.keptPrefix + checkId(volumeId);
  }

  snapshot(snapshotId: string): string {
    return this.snapshotPrefix + checkId(snapshotId);
  }

  /** `digest` is `sha256:<hex>`. */
  /**
   * The cephx user (with `client.`) of a volume: derived from the provider's owner tag and the volume id only,
   * so a caller can never choose it.
   */
  identity(volumeId: string): string {
    return `client.${this.identityPrefix}${checkId(volumeId)}`;
  }

  /** Whether `entity` has the form of a volume's cephx user of this owner (a name, not a proof). */
  isIdentity(entity: string): boolean {
    return entity.startsWith(`client.${this.identityPrefix}`);
  }

  cache(digest: string): string {
    return `${this.cachePrefix}${this.owner}-${digest.replace(/^sha256:/, "")}`;
  }

  /** The volume id of a volume or kept image name, else undefined. */
  volumeIdOf(image: string): string | undefined {
    if (image.startsWith(this.volumePrefix)) return image.slice(this.volumePrefix.length);
    if (image.startsWith(this.keptPrefix)) return image.slice(this.keptPrefix.length);
    return undefined;
  }

  snapshotIdOf(snapshot: string): string | undefined {
    return snapshot.startsWith(this.snapshotPrefix) ? snapshot.slice(this.snapshotPrefix.length) : undefined;
  }
}

/** Names must not be able to reach another pool or snapshot (`/`, `@`) or leave the prefix's family. */
function checkId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id))
    throw new Error(`id ${JSON.stringify(id)} is not usable in an RBD name`);
  return id;
}

/** A stable 16-hex WWN for a volume: the same on every call, distinct per owner and volume. */
export function volumeWwn(owner: string, volumeId: string): string {
  return createHash("sha256").update(`${owner}/${volumeId}`).digest("hex").slice(0, 16);
}
