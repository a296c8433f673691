import type { MachineCollection, MachineRecord } from "./machine-store.js";

/**
 * Machines per class, kept in step with the store through its watch, so that the capacity check on every
 * create costs a few map reads instead of a walk over every machine. A machine's class never changes, so
 * only additions and removals count.
 */
export class ClassUsage {
  readonly #counts = new Map<string, number>();

  constructor(private readonly machines: MachineCollection) {
    this.#recount();
    machines.watch((event) => {
      if (event.type === "added") this.#add(event.record, 1);
      else if (event.type === "deleted") this.#add(event.record, -1);
      else if (event.type === "resync") this.#recount();
    });
  }

  get perClass(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  #add(record: MachineRecord, delta: number): void {
    const next = (this.#counts.get(record.spec.class) ?? 0) + delta;
    if (next === 0) this.#counts.delete(record.spec.class);
    else this.#counts.set(record.spec.class, next);
  }

  #recount(): void {
    this.#counts.clear();
    for (const m of this.machines.list()) this.#add(m, 1);
  }
}
