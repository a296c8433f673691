import type { PoolCapacity, VolumeBackend, VolumeClassConfig } from "@iri/backend-api";
import { resourceExhausted, unavailable } from "@iri/runtime-kit";
import type { VolumeCollection } from "./volume-store.js";

/** The storage behind a class: its `pool` setting (classes without one share the backend's default). */
export function poolOf(cls: VolumeClassConfig): string {
  const pool = cls.settings.pool;
  return typeof pool === "string" ? pool : "";
}

/**
 * What each class can still provision. The quantity the volumepoollet reads is a total in bytes: what the
 * class's volumes hold plus what its pool can still provision (pool capacity × overprovisioning − every
 * volume in the pool); the poollet subtracts its volumes' sizes itself. Pool capacity comes from the backend
 * (refreshed on every Status call and at start); admission works on the last reading, synchronously, with
 * reservations for creates and expansions in flight, so concurrent requests cannot overcommit a pool.
 */
export class VolumeCapacity {
  readonly #pools = new Map<string, PoolCapacity>();
  readonly #reserved = new Map<string, bigint>();

  constructor(
    private readonly classes: readonly VolumeClassConfig[],
    private readonly volumes: VolumeCollection,
    private readonly backend: VolumeBackend,
    private readonly overprovisioningPercent: number,
  ) {}

  /** Re-reads every pool's capacity every `ms` (unref'd); returns a function that stops it. */
  refreshEvery(ms: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => this.refresh().catch(onError), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Asks the backend for every pool's capacity again; throws BackendUnavailableError when it cannot. */
  async refresh(): Promise<void> {
    const seen = new Map<string, VolumeClassConfig>();
    for (const cls of this.classes) if (!seen.has(poolOf(cls))) seen.set(poolOf(cls), cls);
    const readings = await Promise.all(
      [...seen].map(async ([pool, cls]) => [pool, await this.backend.capacity(cls)] as const),
    );
    for (const [pool, capacity] of readings) this.#pools.set(pool, capacity);
  }

  /** The total per class, in bytes. */
  totals(): Map<string, bigint> {
    const { byClass, byPool } = this.#held();
    const totals = new Map<string, bigint>();
    for (const cls of this.classes) {
      const pool = poolOf(cls);
      const free = this.#provisionable(pool) - (byPool.get(pool) ?? 0n);
      totals.set(cls.name, (byClass.get(cls.name) ?? 0n) + (free > 0n ? free : 0n));
    }
    return totals;
  }

  /**
   * Admits `bytes` more in the class's pool or throws ResourceExhausted; call the result once the write
   * settled. While the pool's capacity is unknown (the backend has not answered yet) it throws Unavailable and
   * asks again, rather than refusing for a capacity it never read.
   */
  reserve(cls: VolumeClassConfig, bytes: bigint): () => void {
    const pool = poolOf(cls);
    if (!this.#pools.has(pool)) {
      this.refresh().catch(() => undefined);
      throw unavailable(
        `the capacity of volume class ${JSON.stringify(cls.name)} is not known yet; try again`,
      );
    }
    const free = this.#provisionable(pool) - (this.#held().byPool.get(pool) ?? 0n);
    if (bytes > free) {
      throw resourceExhausted(
        `volume class ${JSON.stringify(cls.name)} can provision ${free > 0n ? free : 0n} more bytes; ${bytes} were asked for`,
      );
    }
    this.#reserved.set(pool, (this.#reserved.get(pool) ?? 0n) + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reserved.set(pool, (this.#reserved.get(pool) ?? 0n) - bytes);
    };
  }

  #provisionable(pool: string): bigint {
    const capacity = this.#pools.get(pool);
    return capacity === undefined ? 0n : (capacity.totalBytes * BigInt(this.overprovisioningPercent)) / 100n;
  }

  #held(): { byClass: Map<string, bigint>; byPool: Map<string, bigint> } {
    const pools = new Map(this.classes.map((c) => [c.name, poolOf(c)]));
    const byClass = new Map<string, bigint>();
    const byPool = new Map(this.#reserved);
    for (const v of this.volumes.list()) {
      const size = v.spec.resources?.storageBytes ?? 0n;
      byClass.set(v.spec.class, (byClass.get(v.spec.class) ?? 0n) + size);
      const pool = pools.get(v.spec.class);
      if (pool !== undefined) byPool.set(pool, (byPool.get(pool) ?? 0n) + size);
    }
    return { byClass, byPool };
  }
}
