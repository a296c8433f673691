import type { HostCapacity, MachineBackend } from "@iri/backend-api";
import { resourceExhausted } from "@iri/runtime-kit";
import type { ClassUsage } from "../class-usage.js";
import { type CapacityPolicy, classTotals, type MachineClassConfig } from "../machine-classes.js";

/**
 * The host's machine capacity. Host resources are read from the backend at start and then in the background
 * (they hardly change); Status and the admission check in CreateMachine both work on the last reading,
 * synchronously: Status never waits on the host (the machinepoollet marks the pool unhealthy when Status takes
 * 5 s), and admission and the reservation it makes cannot interleave with another create.
 */
export class MachineCapacity {
  #host: HostCapacity | undefined;

  constructor(
    private readonly classes: readonly MachineClassConfig[],
    private readonly policy: CapacityPolicy,
    private readonly backend: MachineBackend,
    private readonly usage: ClassUsage,
  ) {}

  /** Re-reads the host's resources every `ms` (unref'd); returns a function that stops it. */
  refreshEvery(ms: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => this.refresh().catch(onError), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Reads the host's resources again. */
  async refresh(): Promise<void> {
    this.#host = await this.backend.hostCapacity();
  }

  /** Per class: machines held now + how many more fit (a total, as the machinepoollet expects). */
  totals(): Map<string, bigint> {
    if (!this.#host) return new Map();
    return classTotals(this.classes, this.#host, this.policy, this.usage.stored);
  }

  /** Admits one machine of the class or throws ResourceExhausted; call the result once the create settled. */
  reserve(className: string): () => void {
    const held = this.usage.held();
    const total = this.#host
      ? (classTotals(this.classes, this.#host, this.policy, held).get(className) ?? 0n)
      : 0n;
    if (total <= BigInt(held.get(className) ?? 0)) {
      throw resourceExhausted(`no capacity left for another machine of class ${JSON.stringify(className)}`);
    }
    return this.usage.reserve(className);
  }
}
