import { create, toBinary } from "@bufbuild/protobuf";
import { machine, meta } from "@iri/api";
import { resourceExhausted } from "@iri/runtime-kit";
import { listedMachine, type MachineCollection, type MachineRecord } from "../machine-store.js";

/** A List element's tag and length prefix, and what a new machine's metadata and status add once stored. */
const ELEMENT_OVERHEAD_BYTES = 4;
const STORED_EXTRA_BYTES = 512;

/**
 * What all machines take in a ListMachines response, against a budget. Ignition data and annotations are
 * listed with every machine: without a budget, four machines with 1 MiB ignitions push ListMachines past the
 * poollets' 4 MiB and the whole pool goes blind. Kept per machine from the collection's watch (and at once
 * from the handlers' own writes); a create or annotation update is admitted synchronously, its bytes reserved
 * until its write settled, so concurrent requests cannot overshoot together.
 */
export class ListedBytes {
  readonly #byId = new Map<string, number>();
  #total = 0;
  #reserved = 0;

  constructor(
    machines: MachineCollection,
    readonly budget: number,
  ) {
    for (const record of machines.list()) this.update(record);
    machines.watch((event) => {
      if (event.type === "resync") {
        for (const record of machines.list()) this.update(record);
      } else if (event.type === "deleted") {
        this.#set(event.record.metadata.id, 0);
      } else {
        this.update(event.record);
      }
    });
  }

  get total(): number {
    return this.#total;
  }

  /** Records what a stored machine takes now. */
  update(record: MachineRecord): void {
    this.#set(record.metadata.id, sizeOfMachine(record));
  }

  /**
   * Admits `bytes` more (a new machine, or the growth of one) or throws ResourceExhausted with the numbers;
   * call the result once the write settled (after `update` with what was written).
   */
  admit(bytes: number, what: string): () => void {
    const after = this.#total + this.#reserved + bytes;
    if (bytes > 0 && after > this.budget) {
      throw resourceExhausted(
        `${what} would bring ListMachines to ${after} bytes, over its budget of ${this.budget} (--list-budget-bytes; ${this.#total} taken by ${this.#byId.size} machines): delete machines or make ignition and annotations smaller`,
      );
    }
    const reserved = Math.max(0, bytes);
    this.#reserved += reserved;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reserved -= reserved;
    };
  }

  #set(id: string, bytes: number): void {
    this.#total += bytes - (this.#byId.get(id) ?? 0);
    if (bytes === 0) this.#byId.delete(id);
    else this.#byId.set(id, bytes);
  }
}

/** From the stored lengths: neither the sealed spec nor the status is opened or encoded on a watch event. */
function sizeOfMachine(record: MachineRecord): number {
  return listedMachine.length(record) + ELEMENT_OVERHEAD_BYTES;
}

/** What a machine created from this request will take in a List (its id at the longest). */
export function sizeOfNewMachine(
  spec: machine.MachineSpec,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): number {
  const message = create(machine.MachineSchema, {
    metadata: { id: "x".repeat(63), labels, annotations },
    spec,
  });
  return toBinary(machine.MachineSchema, message).length + ELEMENT_OVERHEAD_BYTES + STORED_EXTRA_BYTES;
}

/** The bytes an annotation map takes in a machine's metadata. */
export function sizeOfAnnotations(annotations: Record<string, string>): number {
  return toBinary(meta.ObjectMetadataSchema, create(meta.ObjectMetadataSchema, { annotations })).length;
}
