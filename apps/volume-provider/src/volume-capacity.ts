import { setTimeout as sleep } from "node:timers/promises";
import {
  PermanentBackendError,
  type PoolCapacity,
  type VolumeBackend,
  type VolumeClassConfig,
} from "@iri/backend-api";
import { resourceExhausted, unavailable } from "@iri/runtime-kit";
import type { VolumeCollection } from "./volume-store.js";

/** How long a create or an expansion waits for a pool's first capacity reading before answering Unavailable. */
const FIRST_READING_WAIT_MS = 15_000;
const RETRY_READING_MS = 500;

/** The storage behind a class: its `pool` setting (classes without one share the backend's default). */
export function poolOf(cls: VolumeClassConfig): string {
  const pool = cls.settings.pool;
  return typeof pool === "string" ? pool : "";
}

/**
 * What each class can still provision. The quantity the volumepoollet reads is a total in bytes: what the
 * class's volumes hold plus what its pool can still provision (pool capacity × overprovisioning − every
 * volume in the pool); the poollet subtracts its volumes' sizes itself. Pool capacity comes from the backend
 * (refreshed in the background on every Status call, every minute and at start); admission works on the last reading, synchronously, with
 * reservations for creates and expansions in flight, so concurrent requests cannot overcommit a pool.
 */
export class VolumeCapacity {
  readonly #pools = new Map<string, PoolCapacity>();
  readonly #reserved = new Map<string, bigint>();
  #refreshing: Promise<void> | undefined;

  constructor(
    private readonly classes: readonly VolumeClassConfig[],
    private readonly volumes: VolumeCollection,
    private readonly backend: VolumeBackend,
    private readonly overprovisioningPercent: number,
    private readonly firstReadingWaitMs = FIRST_READING_WAIT_MS,
  ) {}

  /** Re-reads every pool's capacity every `ms` (unref'd); returns a function that stops it. */
  refreshEvery(ms: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => this.refresh().catch(onError), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Asks the backend for every pool's capacity again. A pool that cannot be read keeps its last reading and
   * the others are still updated; then rejects with a permanent failure (a class naming a pool the backend
   * does not serve) if there was one, else with the first failure.
   */
  async refresh(): Promise<void> {
    const seen = new Map<string, VolumeClassConfig>();
    for (const cls of this.classes) if (!seen.has(poolOf(cls))) seen.set(poolOf(cls), cls);
    const readings = await Promise.allSettled(
      [...seen].map(async ([pool, cls]) => [pool, await this.backend.capacity(cls)] as const),
    );
    const failures: unknown[] = [];
    for (const reading of readings) {
      if (reading.status === "fulfilled") this.#pools.set(reading.value[0], reading.value[1]);
      else failures.push(reading.reason);
    }
    if (failures.length > 0) throw failures.find((f) => f instanceof PermanentBackendError) ?? failures[0];
  }

  /** `refresh`, single-flight: a call while one runs joins it. */
  refreshOnce(): Promise<void> {
    this.#refreshing ??= this.refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Whether any pool's capacity was ever read. */
  get anyRead(): boolean {
    return this.#pools.size > 0;
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
   * `reserve`, after waiting up to `firstReadingWaitMs` for a first reading of the class's pool: right after a start (or a
   * pool's creation, which `ceph df` lists only once the manager reported it) a create waits for the reading
   * rather than failing. The check and the reservation still happen in one step, after the wait.
   */
  async admit(cls: VolumeClassConfig, bytes: bigint): Promise<() => void> {
    const deadline = Date.now() + this.firstReadingWaitMs;
    while (!this.#pools.has(poolOf(cls)) && Date.now() < deadline) {
      const failed = await this.refreshOnce().then(
        () => false,
        () => true,
      );
      if (failed) await sleep(Math.min(RETRY_READING_MS, Math.max(0, deadline - Date.now())));
    }
    return this.reserve(cls, bytes);
  }

  /**
   * Admits `bytes` more in the class's pool or throws ResourceExhausted; call the result once the write
   * settled. While the pool's capacity is unknown (the backend has not answered yet) it throws Unavailable and
   * asks again, rather than refusing for a capacity it never read.
   */
  reserve(cls: VolumeClassConfig, bytes: bigint): () => void {
    const pool = poolOf(cls);
    if (!this.#pools.has(pool)) {
      this.refreshOnce().catch(() => undefined);
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
