import type { machine } from "@iri/api";
import { resourceExhausted } from "@iri/runtime-kit";
import { Gauge, type Registry } from "prom-client";
import type { MachineCollection } from "../machine-store.js";

/** Bytes the local disks of a spec ask for (size_bytes; 0 — "the image's size" — counts as 0). */
export function localDiskBytes(volumes: readonly machine.Volume[]): bigint {
  return volumes.reduce((sum, v) => sum + (v.localDisk?.sizeBytes ?? 0n), 0n);
}

/**
 * Local disks share the host's disk with the store: their requested bytes are counted against
 * `--local-disk-budget-gib` (0: no budget). Checked and reserved before the handler's first await, like the
 * class capacity, so concurrent requests cannot pass it together. Exported per class as
 * `iri_machine_local_disk_bytes{class}`.
 */
export class LocalDiskBudget {
  readonly #reserved = new Set<{ bytes: bigint }>();

  constructor(
    private readonly machines: MachineCollection,
    private readonly budgetBytes: bigint,
    metrics?: Registry,
  ) {
    if (!metrics) return;
    const self = this;
    new Gauge({
      name: "iri_machine_local_disk_bytes",
      help: "Bytes the machines' local disks ask for (size_bytes), per machine class",
      labelNames: ["class"],
      registers: [metrics],
      collect() {
        this.reset();
        for (const [cls, bytes] of self.perClass()) this.set({ class: cls }, Number(bytes));
      },
    });
  }

  perClass(): Map<string, bigint> {
    const totals = new Map<string, bigint>();
    for (const m of this.machines.list()) {
      totals.set(m.spec.class, (totals.get(m.spec.class) ?? 0n) + localDiskBytes(m.spec.volumes));
    }
    return totals;
  }

  /** Admits `bytes` more or throws ResourceExhausted with the numbers; call the result once the write settled. */
  reserve(bytes: bigint): () => void {
    if (this.budgetBytes === 0n || bytes <= 0n) return () => {};
    let held = 0n;
    for (const total of this.perClass().values()) held += total;
    for (const r of this.#reserved) held += r.bytes;
    if (held + bytes > this.budgetBytes) {
      throw resourceExhausted(
        `local disks would need ${held + bytes} bytes on this host (${held} held, ${bytes} asked); the budget is ${this.budgetBytes} bytes`,
      );
    }
    const reservation = { bytes };
    this.#reserved.add(reservation);
    return () => this.#reserved.delete(reservation);
  }
}
