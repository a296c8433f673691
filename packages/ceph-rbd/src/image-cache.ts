import { volume } from "@iri/api";
import {
  BackendUnavailableError,
  type JobHandle,
  type OperationContext,
  PermanentBackendError,
  type VolumeIntent,
  type VolumeObservation,
} from "@iri/backend-api";
import {
  ImageNotFoundError,
  InvalidImageError,
  InvalidReferenceError,
  type IronCoreImage,
  type OciClient,
  RegistryUnavailableError,
  UnauthorizedError,
} from "@iri/oci";
import { Counter, Gauge } from "prom-client";
import { type BackendDeps, notifyWhenSettled } from "./backend-deps.js";
import { Errno, isCephErrno } from "./cli/ceph-command-error.js";
import type { SnapshotInfo } from "./cli/rbd.js";
import { KeyedLock } from "./keyed-lock.js";
import { Meta } from "./names.js";
import { ownerTagOf, readOwnerTag } from "./owned-images.js";
import { populateCacheImage } from "./rootfs-population.js";
import { formatBytes, roundVolumeBytes } from "./sizes.js";
import type { VolumeSource } from "./volume-apply.js";

/**
 * A volume waiting for a population looks again this often, for the progress message only: the population
 * notifies every waiting volume when it settles. Each look costs calls that compete with the population.
 */
const POLL_MS = 5_000;
/** A tag is resolved again after this long (a volume still waiting keeps the digest it started with). */
const RESOLVE_TTL_MS = 60_000;
/** A failed population is started again by the first apply after this long. */
const RETRY_AFTER_MS = 2_000;
/** Progress events per waiting volume at most this often. */
const PROGRESS_EVENT_MS = 5_000;

interface Progress {
  readonly bytes: number;
  readonly total: number;
  readonly bytesPerSecond: number;
}

/**
 * Whether a cache image can be cloned: `ready` once its snapshot exists and is protected (`rbd import` makes
 * and protects it only after the whole verified rootfs was written); `unfinished` is a leftover of a failed or
 * interrupted population (or one running now).
 */
type CacheState = "ready" | "absent" | "unfinished";

/**
 * IronCore images as RBD clone parents: the rootfs of each manifest digest is written once per pool into
 * `<p>-img-<owner>-<hex>` by one `rbd import` process (created, tagged before any data lands, written sparse,
 * its snapshot made and protected at the end), and every volume is a clone of that snapshot. One population
 * per pool and digest runs as a background job; waiting volumes get `notDone` with progress, never a blocked
 * worker.
 */
export class ImageCache {
  private readonly resolved = new Map<string, { image: IronCoreImage; at: number }>();
  private readonly waiting = new Map<string, Set<string>>();
  private readonly lastProgressEvent = new Map<string, number>();
  private readonly failedAt = new Map<string, number>();
  /** Per cache image: the collector's decide-and-remove against a clone's check-and-clone. */
  private readonly locks = new KeyedLock();
  /**
   * `pool/name` of cache images seen ready, with their snapshot's size (a clone's size): a ready cache stays
   * ready until removeCacheImage (this process is the only one removing its own), so it is read once per
   * process, not with an rbd call before every clone.
   */
  private readonly ready = new Map<string, { readonly bytes: bigint; id?: string | undefined }>();
  private readonly populationBytes: Gauge;
  private readonly populations: Counter;

  constructor(
    private readonly deps: BackendDeps,
    private readonly oci: OciClient,
  ) {
    // A backend opened again on the same registry (a re-open after a failed start) shares the series.
    const { metrics } = deps.context;
    this.populationBytes =
      (metrics.getSingleMetric("iri_volume_image_population_bytes") as Gauge | undefined) ??
      new Gauge({
        name: "iri_volume_image_population_bytes",
        help: "Bytes of an IronCore image's rootfs read so far by a running population",
        labelNames: ["pool", "digest"],
        registers: [metrics],
      });
    this.populations =
      (metrics.getSingleMetric("iri_volume_image_populations_total") as Counter | undefined) ??
      new Counter({
        name: "iri_volume_image_populations_total",
        help: "Finished populations of cached IronCore images, by result",
        labelNames: ["result"],
        registers: [metrics],
      });
  }

  /** The clone parent for a volume from an IronCore image, or a pending outcome while it is being written. */
  async sourceFor(
    intent: VolumeIntent,
    ctx: OperationContext<VolumeObservation>,
    pool: string,
  ): Promise<VolumeSource> {
    const source = intent.spec.volumeDataSource?.imageDataSource;
    if (!source?.image)
      throw new PermanentBackendError("ImagePullFailed", "the image data source names no image");
    const image = await this.resolve(source.image, source.architecture, ctx.signal);
    const rootfs = image.rootfs;
    if (!rootfs)
      throw new PermanentBackendError("ImageHasNoRootfs", `image ${source.image} has no rootfs layer`);
    const cacheBytes = roundVolumeBytes(BigInt(rootfs.size));
    const requested = roundVolumeBytes(intent.spec.resources?.storageBytes ?? 0n);
    if (cacheBytes > requested) {
      throw new PermanentBackendError(
        "ImageLargerThanVolume",
        `image ${source.image} needs ${formatBytes(cacheBytes)} but the volume asks for ${formatBytes(requested)}`,
      );
    }
    const name = this.deps.names.cache(image.manifestDigest);
    const parent = { pool, image: name, snapshot: this.deps.names.cacheSnapshot };
    const what = `image ${source.image} (${image.manifestDigest})`;
    const cloneSource: VolumeSource = {
      kind: "clone",
      parent,
      what,
      encrypted: false,
      // Sharing the cache image's lock, which the collector holds alone while it decides and removes: the image
      // is either still ready when the clone is made (and then has a clone) or the clone fails and is retried.
      // Clones of one image run together (a burst of volumes from one image is not made one at a time).
      clone: (toPool, toImage, signal) =>
        this.locks.share(`${pool}/${name}`, async () => {
          if ((await this.stateOf(pool, name, signal)) !== "ready")
            throw new Error(`the cached ${what} was removed before the clone was made; retried`);
          const known = this.ready.get(`${pool}/${name}`);
          if (!(await this.deps.rbd.clone(parent, toPool, toImage, signal)) || !known) return undefined;
          // The cache image's id, for the clone's caps: read once per cache image.
          known.id ??= await this.deps.rbd.imageId(pool, name, signal);
          return known.id === undefined
            ? undefined
            : { bytes: known.bytes, parent: { ...parent, id: known.id } };
        }),
    };
    const key = `populate ${pool} ${image.manifestDigest}`;
    const { jobs } = this.deps.context;
    const settled = jobs.get(key);
    if (settled?.status === "succeeded") jobs.forget(key);
    // Not known ready in this process: the population job finds out (its `rbd import` fails at once on an
    // existing image), so that a first population costs no call before it.
    if (this.ready.has(`${pool}/${name}`)) return cloneSource;
    if (settled?.status === "failed") {
      // Every volume waiting for it sees the failure; the job is forgotten (and the next apply starts it
      // afresh) once the failure is RETRY_AFTER_MS old: retried, never poisoning the digest.
      if (Date.now() - (this.failedAt.get(key) ?? 0) < RETRY_AFTER_MS) throw settled.error;
      jobs.forget(key);
    }

    this.waitFor(key, intent.id);
    const job = jobs.ensure(key, (handle) =>
      this.locks.run(`${pool}/${name}`, () => this.populate(key, pool, name, image, what, handle)),
    );
    // The job may have settled while this apply awaited the readiness check above: its outcome is the answer.
    if (job.status === "failed") throw job.error;
    if (job.status === "succeeded") {
      jobs.forget(key);
      return cloneSource;
    }
    const progress = job.progress as Progress | undefined;
    const message = progress
      ? `Writing ${what}: ${formatBytes(BigInt(progress.bytes))} of ${formatBytes(BigInt(progress.total))} at ${formatBytes(BigInt(Math.round(progress.bytesPerSecond)))}/s`
      : `Writing ${what}`;
    this.progressEvent(intent.id, ctx, message);
    return {
      kind: "pending",
      outcome: {
        observation: { state: volume.VolumeState.VOLUME_PENDING, storageBytes: 0n },
        notDone: { afterMs: POLL_MS, reason: "PopulatingImage", message },
      },
    };
  }

  private async resolve(
    reference: string,
    architecture: string,
    signal: AbortSignal,
  ): Promise<IronCoreImage> {
    const key = `${reference}|${architecture}`;
    const cached = this.resolved.get(key);
    if (cached && Date.now() - cached.at < RESOLVE_TTL_MS) return cached.image;
    try {
      const image = await this.oci.resolveImage(reference, {
        ...(architecture ? { architecture } : {}),
        signal,
      });
      this.resolved.set(key, { image, at: Date.now() });
      return image;
    } catch (error) {
      throw registryFailure(error, reference);
    }
  }

  /**
   * One `rbd snap ls` unless seen ready before. Images of earlier versions (import-diff, then protect, then an
   * `iri.cache-state` tag) read the same: their snapshot was made only after the whole rootfs was written.
   */
  private async stateOf(pool: string, name: string, signal: AbortSignal): Promise<CacheState> {
    if (this.ready.has(`${pool}/${name}`)) return "ready";
    let snapshots: SnapshotInfo[];
    try {
      snapshots = await this.deps.rbd.snapshots(pool, name, signal);
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return "absent";
      throw error;
    }
    const base = snapshots.find((s) => s.name === this.deps.names.cacheSnapshot);
    if (!base?.protected) return "unfinished";
    this.ready.set(`${pool}/${name}`, { bytes: base.size });
    return "ready";
  }

  /**
   * Writes the cache image unless it exists ready (a cache of an earlier life of the provider). Runs under the
   * cache image's lock: the collector never sees it half-made.
   */
  private async populate(
    key: string,
    pool: string,
    name: string,
    image: IronCoreImage,
    what: string,
    job: JobHandle,
  ): Promise<void> {
    const { rbd } = this.deps;
    const rootfs = image.rootfs;
    if (!rootfs) throw new Error("no rootfs");
    const digest = image.manifestDigest;
    const imageBytes = roundVolumeBytes(BigInt(rootfs.size));
    const started = Date.now();
    const write = async (): Promise<boolean> => {
      // The blob's request goes out while `rbd` starts; the stream awaits it after the image's header.
      const opening = this.oci
        .openBlob(image.reference, rootfs, { signal: job.signal })
        .catch((error: unknown) => {
          throw registryFailure(error, `${image.reference.registry}/${image.reference.repository}`);
        });
      try {
        await populateCacheImage(rbd, opening, {
          pool,
          image: name,
          imageBytes,
          bytes: rootfs.size,
          snapshot: this.deps.names.cacheSnapshot,
          metadata: { ...ownerTagOf(this.deps), [Meta.id]: digest },
          signal: job.signal,
          onProgress: (bytes) => {
            const seconds = Math.max((Date.now() - started) / 1000, 0.001);
            job.progress({ bytes, total: rootfs.size, bytesPerSecond: bytes / seconds });
            this.populationBytes.set({ pool, digest }, bytes);
          },
        });
        return true;
      } catch (error) {
        if (isCephErrno(error, Errno.EEXIST)) return false;
        throw error;
      } finally {
        // A blob `rbd` did not read to its end (it failed, or found the image) still holds its connection.
        (await opening.catch(() => undefined))?.destroy();
      }
    };
    try {
      if (!(await write())) {
        const state = await this.stateOf(pool, name, job.signal);
        if (state === "ready") {
          this.deps.context.logger.info({ pool, image: name, digest }, "image cache found");
          return;
        }
        // A leftover of an earlier attempt (failed, or cut short by a crash) is never trusted: start over.
        if (state === "unfinished") await this.removeCacheImage(pool, name, job.signal);
        if (!(await write())) throw new Error(`${pool}/${name} exists and is not this provider's to replace`);
      }
      this.ready.set(`${pool}/${name}`, { bytes: imageBytes });
      this.populations.inc({ result: "succeeded" });
      for (const id of this.waiting.get(key) ?? []) {
        this.deps.context.event(id, "Normal", "ImagePopulated", `Wrote ${what} into ${pool}/${name}`);
      }
      this.deps.context.logger.info(
        { pool, image: name, digest, bytes: rootfs.size, seconds: (Date.now() - started) / 1000 },
        "image cache populated",
      );
    } catch (error) {
      this.populations.inc({ result: "failed" });
      for (const id of this.waiting.get(key) ?? []) {
        this.deps.context.event(
          id,
          "Warning",
          "ImagePopulationFailed",
          `Writing ${what} failed: ${errorMessage(error)}`,
        );
      }
      // `rbd import` removes the image of a failed import itself; one it could not (it was killed) goes here.
      // A ready image (found after an attempt failed for another reason) stays.
      const cleanup = new AbortController().signal;
      await (async () => {
        if ((await this.stateOf(pool, name, cleanup)) === "unfinished")
          await this.removeCacheImage(pool, name, cleanup);
      })().catch((cleanup: unknown) =>
        this.deps.context.logger.warn(
          { pool, image: name, err: String(cleanup) },
          "cannot remove a failed population",
        ),
      );
      this.failedAt.set(key, Date.now());
      throw error;
    } finally {
      this.populationBytes.remove({ pool, digest });
      const waiting = [...(this.waiting.get(key) ?? [])];
      notifyWhenSettled(this.deps, waiting);
      this.waiting.delete(key);
    }
  }

  /**
   * One collector pass over a cache image of ours: one a crash left half-written goes (a population running
   * here holds the lock: the pass waits for it), one without clones is marked unused and goes once it stayed so for `unusedMs`. Clones of it
   * are made under the same lock, so none can appear between the check and the removal.
   */
  collect(pool: string, name: string, unusedMs: number, signal: AbortSignal): Promise<void> {
    const { rbd, names } = this.deps;
    return this.locks.run(`${pool}/${name}`, async () => {
      // Populations run under this lock: an unfinished image here is a leftover.
      const state = await this.stateOf(pool, name, signal);
      if (state === "absent") return;
      if (state === "unfinished") {
        await this.removeCacheImage(pool, name, signal);
        return;
      }
      const metadata = await rbd.metadata(pool, name, signal);
      const digest = metadata[Meta.id] ?? "";
      const clones = await rbd.children(pool, name, names.cacheSnapshot, signal);
      const since = metadata[Meta.unusedSince];
      if (clones.length > 0) {
        if (since !== undefined) await rbd.removeMetadata(pool, name, Meta.unusedSince, signal);
      } else if (since === undefined) {
        await rbd.setMetadata(pool, name, Meta.unusedSince, String(Date.now()), signal);
      } else if (Date.now() - Number(since) >= unusedMs) {
        await this.removeCacheImage(pool, name, signal);
        this.deps.context.logger.info({ pool, image: name, digest }, "removed an unused image cache");
      }
    });
  }

  /** Removes a cache image of ours with its snapshot (only when nothing is cloned from it). */
  async removeCacheImage(pool: string, name: string, signal: AbortSignal): Promise<void> {
    this.ready.delete(`${pool}/${name}`);
    const { rbd } = this.deps;
    const owner = await readOwnerTag(this.deps, pool, name, signal);
    if (owner === null) return;
    if (owner !== undefined && owner !== this.deps.owner) return;
    await rbd.removeSnapshot(pool, name, this.deps.names.cacheSnapshot, signal);
    await rbd.remove(pool, name, signal);
  }

  private waitFor(key: string, volumeId: string): void {
    const set = this.waiting.get(key) ?? new Set<string>();
    set.add(volumeId);
    this.waiting.set(key, set);
  }

  private progressEvent(volumeId: string, ctx: OperationContext<VolumeObservation>, message: string): void {
    const last = this.lastProgressEvent.get(volumeId) ?? 0;
    if (Date.now() - last < PROGRESS_EVENT_MS) return;
    this.lastProgressEvent.set(volumeId, Date.now());
    ctx.event("Normal", "PopulatingImage", message);
  }
}

/** Registry failures as the seam's error kinds: permanent for what retrying cannot fix. */
function registryFailure(error: unknown, what: string): Error {
  if (error instanceof RegistryUnavailableError) {
    return new BackendUnavailableError(`registry for ${what}: ${error.message}`, { cause: error });
  }
  if (error instanceof UnauthorizedError) {
    return new PermanentBackendError("ImagePullUnauthorized", `pulling ${what}: ${error.message}`, {
      cause: error,
    });
  }
  if (
    error instanceof ImageNotFoundError ||
    error instanceof InvalidImageError ||
    error instanceof InvalidReferenceError
  ) {
    return new PermanentBackendError("ImagePullFailed", `pulling ${what}: ${error.message}`, {
      cause: error,
    });
  }
  // DigestMismatchError (corruption in transit) and anything else: retried with back-off.
  return error instanceof Error ? error : new Error(String(error));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
