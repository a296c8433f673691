import { imageIdsIn } from "./rbd-directory.js";

/** How the batches are read: one image's id (`rbd info`), or the whole directory of a pool. */
export interface ImageIdSources {
  one(pool: string, image: string): Promise<string | undefined>;
  directory(pool: string): Promise<string>;
}

interface Waiter {
  readonly image: string;
  resolve(id: string | undefined): void;
  reject(error: unknown): void;
}

/**
 * How long the first id asked for waits for others. A burst's volumes ask while a lookup runs anyway (they
 * wait for it and go in the next); the window only groups the ones that start together.
 */
const WINDOW_MS = 20;

/**
 * The RBD ids of images just made, looked up together: every id asked for within a short window, or while
 * the pool's last lookup ran, comes from one `rados listomapvals rbd_directory` (one process for a burst's
 * volumes instead of an `rbd info` each). A lone image is read with `rbd info`: the directory grows with the
 * pool, one image's info does not. One lookup per pool at a time.
 */
export class ImageIdLookup {
  private readonly queued = new Map<string, Waiter[]>();
  private readonly running = new Set<string>();

  constructor(private readonly sources: ImageIdSources) {}

  /** The image's id; undefined when the pool has no such image. */
  idOf(pool: string, image: string, signal?: AbortSignal): Promise<string | undefined> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener("abort", onAbort);
          then(value);
        };
      const waiters = this.queued.get(pool);
      const waiter = { image, resolve: settle(resolve), reject: settle(reject) };
      if (waiters) waiters.push(waiter);
      else {
        this.queued.set(pool, [waiter]);
        if (!this.running.has(pool)) setTimeout(() => this.lookUp(pool), WINDOW_MS).unref();
      }
    });
  }

  private async lookUp(pool: string): Promise<void> {
    const waiters = this.queued.get(pool) ?? [];
    this.queued.delete(pool);
    this.running.add(pool);
    try {
      const wanted = new Set(waiters.map((w) => w.image));
      const ids =
        wanted.size === 1
          ? new Map([
              [waiters[0]?.image as string, await this.sources.one(pool, waiters[0]?.image as string)],
            ])
          : imageIdsIn(await this.sources.directory(pool), wanted);
      for (const waiter of waiters) waiter.resolve(ids.get(waiter.image));
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.running.delete(pool);
      if (this.queued.has(pool)) void this.lookUp(pool);
    }
  }
}
