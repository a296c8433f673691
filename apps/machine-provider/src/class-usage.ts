import type { MachineCollection } from "./machine-store.js";

/**
 * Machines per class, kept in step with the store through its watch, plus reservations of creates that
 * passed the capacity check but are not committed yet. Check and reservation happen in one synchronous step,
 * so concurrent creates can never be admitted beyond capacity.
 */
export class ClassUsage {
  readonly #stored = new Map<string, number>();
  readonly #reserved = new Map<string, number>();

  constructor(private readonly machines: MachineCollection) {
    this.#recount();
    machines.watch((event) => {
      if (event.type === "added") add(this.#stored, event.record.spec.class, 1);
      else if (event.type === "deleted") add(this.#stored, event.record.spec.class, -1);
      else if (event.type === "resync") this.#recount();
    });
  }

  /** Machines of each class the store holds (being deleted included). */
  get stored(): ReadonlyMap<string, number> {
    return this.#stored;
  }

  /** Stored machines plus reservations: what holds host resources now or is about to. */
  held(): Map<string, number> {
    const held = new Map(this.#stored);
    for (const [cls, n] of this.#reserved) add(held, cls, n);
    return held;
  }

  /**
   * Holds one machine of `className` until the returned release is called, after the create settled. A
   * committed create is counted by the store by then (its watch event comes before the write resolves), so
   * the count is never below the truth; at worst it is briefly above it.
   */
  reserve(className: string): () => void {
    add(this.#reserved, className, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      add(this.#reserved, className, -1);
    };
  }

  #recount(): void {
    this.#stored.clear();
    for (const m of this.machines.list()) add(this.#stored, m.spec.class, 1);
  }
}

function add(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
