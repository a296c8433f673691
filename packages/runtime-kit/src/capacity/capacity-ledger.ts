import { setTimeout as sleep } from "node:timers/promises";
import { PermanentBackendError } from "@iri/backend-api";
import type { Collection, StoredRecord } from "@iri/store";
import { resourceExhausted, unavailable } from "../errors.js";

/** Amounts of named resources: a host's `{cpu, memory}`, a pool's `{bytes}`. */
export type Resources = Readonly<Record<string, bigint>>;

/** What one stored object holds: `units` of its class (one machine; a volume's bytes). */
export interface Holding {
  readonly className: string;
  readonly units: bigint;
}

/**
 * How one app's objects draw on capacity. The classes that share a group share its capacity; which classes
 * share storage is the backend's answer (`VolumeBackend.capacityGroup`, the one host of a machine backend),
 * never the app's reading of a class's settings.
 */
export interface CapacityModel<Spec, Status> {
  /** The objects in messages: "machine", "volume". */
  readonly kind: string;
  /** What a class's quantity counts, in messages: "machines", "bytes". */
  readonly unit: string;
  /** Every configured class; objects of other classes hold nothing the ledger counts. */
  readonly classes: readonly string[];
  group(className: string): string;
  /**
   * Resolves once `group` can answer: a provider that serves while its backend still opens reads no
   * capacity before that (a Status before the first reading waits for it, as it waits for the reading).
   */
  ready?(): Promise<unknown>;
  /** A group's capacity, everything its classes may hold together (overcommit and reservations applied). */
  read(group: string, className: string): Promise<Resources>;
  /** What one unit of the class takes from its group. */
  perUnit(className: string): Resources;
  holding(record: StoredRecord<Spec, Status>): Holding;
}

export interface CapacityLedgerOptions {
  /** How long `admit` waits for a group's first reading before answering Unavailable (default 15 s). */
  firstReadingWaitMs?: number;
}

const FIRST_READING_WAIT_MS = 15_000;
const RETRY_READING_MS = 500;

/**
 * Admission for creates and growth. Per group it keeps the last capacity reading; per class the units the
 * store holds (followed through the collection's watch, so a create never walks every object) and the units
 * reserved by creates in flight. Check and reservation are one synchronous step, so concurrent requests
 * cannot overcommit a group. While a group was never read it answers Unavailable, never ResourceExhausted
 * for a capacity it does not know.
 */
export class CapacityLedger<Spec, Status> {
  readonly #readings = new Map<string, Resources>();
  readonly #stored = new Map<string, bigint>();
  readonly #reserved = new Map<string, bigint>();
  readonly #firstReadingWaitMs: number;
  #refreshing: Promise<void> | undefined;

  constructor(
    private readonly model: CapacityModel<Spec, Status>,
    private readonly collection: Collection<Spec, Status>,
    options: CapacityLedgerOptions = {},
  ) {
    this.#firstReadingWaitMs = options.firstReadingWaitMs ?? FIRST_READING_WAIT_MS;
    this.#recount();
    collection.watch((event) => {
      if (event.type === "resync") return this.#recount();
      if (event.type === "modified") this.#count(model.holding(event.previous), -1n);
      this.#count(model.holding(event.record), event.type === "deleted" ? -1n : 1n);
    });
  }

  /** Re-reads every group every `ms` (unref'd); returns a function that stops it. */
  refreshEvery(ms: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => this.refresh().catch(onError), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Reads every group's capacity again. A group that cannot be read keeps its last reading and the others
   * are still updated; then rejects with a permanent failure (a class the backend cannot serve) if there was
   * one, else with the first failure.
   */
  async refresh(): Promise<void> {
    await this.model.ready?.();
    const groups = new Map<string, string>();
    for (const cls of this.model.classes) {
      const group = this.model.group(cls);
      if (!groups.has(group)) groups.set(group, cls);
    }
    const readings = await Promise.allSettled(
      [...groups].map(async ([group, cls]) => [group, await this.model.read(group, cls)] as const),
    );
    const failures: unknown[] = [];
    for (const reading of readings) {
      if (reading.status === "fulfilled") this.#readings.set(reading.value[0], reading.value[1]);
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

  /**
   * Whether the class's group was read. A backend that cannot name the group yet (still opening while the
   * provider already serves) throws from `group`: not read yet.
   */
  #wasRead(className: string): boolean {
    try {
      return this.#readings.has(this.model.group(className));
    } catch {
      return false;
    }
  }

  /** Whether any group's capacity was ever read. */
  get anyRead(): boolean {
    return this.#readings.size > 0;
  }

  /**
   * Per class, the quantity a poollet reads: a total, the units its stored objects hold plus how many more
   * fit now (the poollet subtracts its own objects). A class whose group was never read offers no more.
   */
  totals(): Map<string, bigint> {
    const totals = new Map<string, bigint>();
    for (const cls of this.model.classes) totals.set(cls, (this.#stored.get(cls) ?? 0n) + this.#room(cls));
    return totals;
  }

  /**
   * `reserve`, after waiting up to the first-reading wait for a reading of the class's group: right after a
   * start (or a pool's creation, which `ceph df` lists only once the manager reported it) a create waits for
   * the reading rather than failing. The check and the reservation still happen in one step, after the wait.
   */
  async admit(className: string, units: bigint): Promise<() => void> {
    const deadline = Date.now() + this.#firstReadingWaitMs;
    while (!this.#wasRead(className) && Date.now() < deadline) {
      const failed = await this.refreshOnce().then(
        () => false,
        () => true,
      );
      if (failed) await sleep(Math.min(RETRY_READING_MS, Math.max(0, deadline - Date.now())));
    }
    return this.reserve(className, units);
  }

  /**
   * Holds `units` more of the class until the returned release is called (once the write settled; a
   * committed create is counted through the watch by then), or throws ResourceExhausted. While the group's
   * capacity is unknown it throws Unavailable and asks again.
   */
  reserve(className: string, units: bigint): () => void {
    if (!this.#wasRead(className)) {
      this.refreshOnce().catch(() => undefined);
      throw unavailable(
        `the capacity of ${this.model.kind} class ${JSON.stringify(className)} is not known yet; try again`,
      );
    }
    const room = this.#room(className);
    if (units > room) {
      throw resourceExhausted(
        `${this.model.kind} class ${JSON.stringify(className)} has room for ${room} more ${this.model.unit}; asked for ${units}`,
      );
    }
    add(this.#reserved, className, units);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      add(this.#reserved, className, -units);
    };
  }

  /** How many more units of the class fit in its group's capacity after everything held and reserved. */
  #room(className: string): bigint {
    const group = this.model.group(className);
    const reading = this.#readings.get(group);
    if (reading === undefined) return 0n;
    const free: Record<string, bigint> = { ...reading };
    for (const cls of this.model.classes) {
      if (this.model.group(cls) !== group) continue;
      const held = (this.#stored.get(cls) ?? 0n) + (this.#reserved.get(cls) ?? 0n);
      for (const [resource, amount] of Object.entries(this.model.perUnit(cls)))
        free[resource] = (free[resource] ?? 0n) - amount * held;
    }
    let room: bigint | undefined;
    for (const [resource, amount] of Object.entries(this.model.perUnit(className))) {
      if (amount <= 0n) continue;
      const fit = (free[resource] ?? 0n) / amount;
      room = room === undefined || fit < room ? fit : room;
    }
    return room === undefined || room < 0n ? 0n : room;
  }

  #count(holding: Holding, sign: bigint): void {
    add(this.#stored, holding.className, sign * holding.units);
  }

  #recount(): void {
    this.#stored.clear();
    for (const record of this.collection.list()) this.#count(this.model.holding(record), 1n);
  }
}

function add(amounts: Map<string, bigint>, key: string, delta: bigint): void {
  const next = (amounts.get(key) ?? 0n) + delta;
  if (next === 0n) amounts.delete(key);
  else amounts.set(key, next);
}
