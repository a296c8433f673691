import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { protoCodec, toObjectMetadata } from "@iri/runtime-kit";
import type { Collection, Database, StoredRecord } from "@iri/store";

export type MachineRecord = StoredRecord<machine.MachineSpec, machine.MachineStatus>;
export type MachineCollection = Collection<machine.MachineSpec, machine.MachineStatus>;

/** Held by every machine until the backend has released its resources. */
export const BACKEND_FINALIZER = "machine-provider.iri.ironcore.dev/backend";

export function openMachineCollection(db: Database): MachineCollection {
  return db.collection("machine", {
    spec: protoCodec(machine.MachineSpecSchema),
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
