import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { protoCodec, type SealingKeys, sealedCodec, storedElement, toObjectMetadata } from "@iri/runtime-kit";
import type { Collection, Database, StoredRecord } from "@iri/store";

export type MachineRecord = StoredRecord<machine.MachineSpec, machine.MachineStatus>;
export type MachineCollection = Collection<machine.MachineSpec, machine.MachineStatus>;

/** Held by every machine until the backend has released its resources. */
export const BACKEND_FINALIZER = "machine-provider.iri.ironcore.dev/backend";

/**
 * Specs are sealed with the key-encryption key: they hold ignition, volume `secret_data` and
 * `encryption_data`. In memory they stay as sent, so ListMachines echoes them byte-for-byte.
 */
export function openMachineCollection(db: Database, kek: Uint8Array | SealingKeys): MachineCollection {
  return db.collection("machine", {
    spec: sealedCodec(protoCodec(machine.MachineSpecSchema), kek, "machine spec"),
    status: protoCodec(machine.MachineStatusSchema),
  });
}

/** The IRI message for a stored machine; spec is returned exactly as it was stored. */
export function toMachine(record: MachineRecord): machine.Machine {
  return create(machine.MachineSchema, {
    metadata: toObjectMetadata(record.metadata),
    spec: record.spec,
    status: record.status,
  });
}

/** A stored machine as it is listed, written from the stored bytes (the same bytes as encoding toMachine). */
export const listedMachine = storedElement<machine.MachineSpec, machine.MachineStatus>(machine.MachineSchema);
