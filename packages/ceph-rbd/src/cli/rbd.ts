import type { Readable } from "node:stream";
import { emptyImageStream } from "../rootfs-population.js";
import type { CephCli } from "./ceph-cli.js";
import { Errno, isCephErrno } from "./ceph-command-error.js";
import { ImageIdLookup } from "./image-ids.js";

export interface ParentRef {
  readonly pool: string;
  readonly image: string;
  readonly snapshot: string;
  /** The parent's RBD id, where `rbd info` reported it. */
  readonly id?: string;
}

export interface ImageInfo {
  readonly name: string;
  readonly id: string;
  readonly size: bigint;
  readonly parent?: ParentRef;
}

export interface SnapshotInfo {
  readonly name: string;
  readonly size: bigint;
  readonly protected: boolean;
}

/** One row of `rbd ls -l`: an image, or (with `snapshot` set) one of its snapshots. */
export interface ListedImage {
  readonly image: string;
  readonly id: string;
  readonly size: bigint;
  readonly snapshot?: string;
  readonly protected?: boolean;
  readonly parent?: ParentRef;
}

interface RawListed {
  image: string;
  id: string;
  size: number;
  snapshot?: string;
  protected?: string;
  parent?: ParentRef;
}

const LIST_ATTEMPTS = 5;

/** Long-running data operations get a deadline of their own instead of the per-call default. */
const LONG_OPERATION_MS = 6 * 60 * 60 * 1000;

/**
 * The RBD operations the backend needs, over the `rbd` CLI. Absent things are answers, not errors: `info`
 * resolves undefined for a missing image, and create/remove calls report whether they changed anything.
 */
export class Rbd {
  private readonly ids: ImageIdLookup;

  constructor(private readonly cli: CephCli) {
    this.ids = new ImageIdLookup({
      one: async (pool, image) => (await this.info(pool, image))?.id,
      directory: (pool) => this.cli.rados(["--pool", pool, "listomapvals", "rbd_directory"]),
    });
  }

  /**
   * The RBD id of an image (undefined: no such image), read together with the other ids asked for at the
   * same time (see ImageIdLookup): for an image just made, whose size and parent the caller knows.
   */
  imageId(pool: string, image: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.ids.idOf(pool, image, signal);
  }

  async info(pool: string, image: string, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    try {
      const raw = await this.cli.rbdJson<{ name: string; id: string; size: number; parent?: ParentRef }>(
        ["info", spec(pool, image)],
        { signal },
      );
      return {
        name: raw.name,
        id: raw.id,
        size: BigInt(raw.size),
        ...(raw.parent ? { parent: raw.parent } : {}),
      };
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return undefined;
      throw error;
    }
  }

  /** Resolves false when the image already exists. */
  async create(pool: string, image: string, sizeBytes: bigint, signal?: AbortSignal): Promise<boolean> {
    return this.unlessExists(() =>
      this.cli.rbd(["create", "--size", `${sizeBytes}B`, spec(pool, image)], { signal }),
    );
  }

  /**
   * Creates an image without data with its metadata set, in one process (`rbd import` of an
   * `emptyImageStream`); resolves false when the image already exists (nothing is changed then).
   */
  async createWithMetadata(
    pool: string,
    image: string,
    sizeBytes: bigint,
    metadata: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const input = emptyImageStream(sizeBytes, metadata);
    return this.unlessExists(() =>
      this.cli.rbd(["import", "--export-format", "2", "--no-progress", "-", spec(pool, image)], {
        input,
        signal,
      }),
    );
  }

  /** Resolves false when the clone already exists. */
  async clone(parent: ParentRef, pool: string, image: string, signal?: AbortSignal): Promise<boolean> {
    return this.unlessExists(() =>
      this.cli.rbd(["clone", snapSpec(parent.pool, parent.image, parent.snapshot), spec(pool, image)], {
        signal,
      }),
    );
  }

  async resize(pool: string, image: string, sizeBytes: bigint, signal?: AbortSignal): Promise<void> {
    await this.cli.rbd(["resize", "--size", `${sizeBytes}B`, spec(pool, image)], { signal });
  }

  async metadata(pool: string, image: string, signal?: AbortSignal): Promise<Record<string, string>> {
    return (
      (await this.cli.rbdJson<Record<string, string> | null>(["image-meta", "list", spec(pool, image)], {
        signal,
      })) ?? {}
    );
  }

  /** One key, or undefined when unset. */
  async metadataValue(
    pool: string,
    image: string,
    key: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    try {
      return (await this.cli.rbd(["image-meta", "get", spec(pool, image), key], { signal })).trimEnd();
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return undefined;
      throw error;
    }
  }

  /** Like `metadataValue`, but null when the image itself does not exist (one call either way). */
  async metadataValueIfExists(
    pool: string,
    image: string,
    key: string,
    signal?: AbortSignal,
  ): Promise<string | undefined | null> {
    const metadata = await this.metadataIfExists(pool, image, signal);
    return metadata === null ? null : metadata[key];
  }

  /** Like `metadata`, but null when the image itself does not exist. */
  async metadataIfExists(
    pool: string,
    image: string,
    signal?: AbortSignal,
  ): Promise<Record<string, string> | null> {
    try {
      return await this.metadata(pool, image, signal);
    } catch (error) {
      // `image-meta list` fails only when the image cannot be opened.
      if (isCephErrno(error, Errno.ENOENT)) return null;
      throw error;
    }
  }

  async setMetadata(
    pool: string,
    image: string,
    key: string,
    value: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.cli.rbd(["image-meta", "set", spec(pool, image), key, value], { signal });
  }

  async removeMetadata(pool: string, image: string, key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.cli.rbd(["image-meta", "remove", spec(pool, image), key], { signal });
    } catch (error) {
      if (!isCephErrno(error, Errno.ENOENT)) throw error;
    }
  }

  async snapshots(pool: string, image: string, signal?: AbortSignal): Promise<SnapshotInfo[]> {
    const raw = await this.cli.rbdJson<{ name: string; size: number; protected: string }[]>(
      ["snap", "ls", spec(pool, image)],
      { signal },
    );
    return raw.map((s) => ({ name: s.name, size: BigInt(s.size), protected: s.protected === "true" }));
  }

  /** Creates and protects a snapshot; both steps are no-ops when already done. */
  async ensureProtectedSnapshot(
    pool: string,
    image: string,
    snapshot: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.unlessExists(() =>
      this.cli.rbd(["snap", "create", snapSpec(pool, image, snapshot)], { signal }),
    );
    await this.protectSnapshot(pool, image, snapshot, signal);
  }

  async protectSnapshot(pool: string, image: string, snapshot: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.cli.rbd(["snap", "protect", snapSpec(pool, image, snapshot)], { signal });
    } catch (error) {
      // EBUSY: already protected.
      if (!isCephErrno(error, Errno.EBUSY)) throw error;
    }
  }

  /** Unprotects and removes a snapshot; a snapshot that is gone already is fine. */
  async removeSnapshot(pool: string, image: string, snapshot: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.cli.rbd(["snap", "unprotect", snapSpec(pool, image, snapshot)], { signal });
    } catch (error) {
      // EINVAL: not protected.
      if (!isCephErrno(error, Errno.EINVAL, Errno.ENOENT)) throw error;
    }
    try {
      await this.cli.rbd(["snap", "rm", snapSpec(pool, image, snapshot)], { signal });
    } catch (error) {
      if (!isCephErrno(error, Errno.ENOENT)) throw error;
    }
  }

  async children(
    pool: string,
    image: string,
    snapshot: string,
    signal?: AbortSignal,
  ): Promise<{ pool: string; image: string }[]> {
    try {
      return await this.cli.rbdJson<{ pool: string; image: string }[]>(
        ["children", snapSpec(pool, image, snapshot)],
        {
          signal,
        },
      );
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return [];
      throw error;
    }
  }

  async flatten(pool: string, image: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.cli.rbd(["flatten", spec(pool, image)], { signal, deadlineMs: LONG_OPERATION_MS });
    } catch (error) {
      // EINVAL: not a clone (any more).
      if (!isCephErrno(error, Errno.EINVAL, Errno.ENOENT)) throw error;
    }
  }

  /** Resolves false when the image was gone already. EBUSY (watchers) and ENOTEMPTY (snapshots) propagate. */
  async remove(pool: string, image: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.cli.rbd(["rm", spec(pool, image)], { signal, deadlineMs: LONG_OPERATION_MS });
      return true;
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return false;
      throw error;
    }
  }

  async rename(pool: string, from: string, to: string, signal?: AbortSignal): Promise<void> {
    await this.cli.rbd(["rename", spec(pool, from), spec(pool, to)], { signal });
  }

  /** Addresses of the clients that have the image open. */
  async watchers(pool: string, image: string, signal?: AbortSignal): Promise<string[]> {
    const raw = await this.cli.rbdJson<{ watchers: { address: string }[] }>(["status", spec(pool, image)], {
      signal,
    });
    return raw.watchers.map((w) => w.address);
  }

  /** Images and their snapshots in a pool, in one call. */
  async list(pool: string, signal?: AbortSignal): Promise<ListedImage[]> {
    // `rbd ls -l` fails with ENOENT when an image is removed while it lists: list again.
    for (let attempt = 1; ; attempt++) {
      try {
        const raw =
          (await this.cli.rbdJson<RawListed[] | null>(["ls", "-l", "--pool", pool], { signal })) ?? [];
        return raw.map(listedImage);
      } catch (error) {
        if (!isCephErrno(error, Errno.ENOENT) || attempt >= LIST_ATTEMPTS) throw error;
      }
    }
  }

  /** `passphraseFile` is read once (a FIFO: see `withSecretPipes`). */
  async formatLuks2(
    pool: string,
    image: string,
    passphraseFile: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.cli.rbd(["encryption", "format", spec(pool, image), "luks2", passphraseFile], {
      signal,
      deadlineMs: LONG_OPERATION_MS,
    });
  }

  /**
   * Creates an image from an `rbd import --export-format 2` stream (metadata, data, snapshots in one process);
   * a failed import removes the image it created. EEXIST when the image exists (nothing read then).
   */
  async importImage(pool: string, image: string, stream: Readable, signal?: AbortSignal): Promise<void> {
    await this.cli.rbd(["import", "--export-format", "2", "--no-progress", "-", spec(pool, image)], {
      stdin: stream,
      signal,
      deadlineMs: LONG_OPERATION_MS,
    });
  }

  private async unlessExists(call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      if (isCephErrno(error, Errno.EEXIST)) return false;
      throw error;
    }
  }
}

function listedImage(r: RawListed): ListedImage {
  return {
    image: r.image,
    id: r.id,
    size: BigInt(r.size),
    ...(r.snapshot !== undefined ? { snapshot: r.snapshot, protected: r.protected === "true" } : {}),
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

function spec(pool: string, image: string): string {
  return `${pool}/${image}`;
}

function snapSpec(pool: string, image: string, snapshot: string): string {
  return `${pool}/${image}@${snapshot}`;
}
