import { create, equals } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import type { MachineBackend, MachineClassConfig, MachineObservation } from "@iri/backend-api";
import { configuredClass, type ObjectControllerOptions } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type MachineCollection } from "../machine-store.js";

export interface MachineReconcilerDeps {
  machines: MachineCollection;
  classes: readonly MachineClassConfig[];
  backend: MachineBackend;
}

const stateNotes: Partial<Record<machine.MachineState, { reason: string; message: string }>> = {
  [machine.MachineState.MACHINE_RUNNING]: { reason: "Running", message: "machine is running" },
  [machine.MachineState.MACHINE_SUSPENDED]: { reason: "PoweredOff", message: "machine is powered off" },
  [machine.MachineState.MACHINE_TERMINATING]: { reason: "Terminating", message: "machine is terminating" },
};

/**
 * How machines go through the kit's reconciler: the backend drives one machine towards its spec (with its
 * class's cpu and memory); what it observed becomes the status, with `observed_generation` the generation it
 * realised. Deletion shows TERMINATING while the backend tears down. A permanent failure keeps the state and
 * adds a `Ready=False` condition with the reason (machines have no ERROR state).
 */
export function machineReconcilerOptions(
  deps: MachineReconcilerDeps,
): ObjectControllerOptions<machine.MachineSpec, machine.MachineStatus, MachineObservation> {
  const { machines, classes, backend } = deps;
  return {
    kind: "machine",
    collection: machines,
    finalizer: BACKEND_FINALIZER,
    listOwned: () => backend.listOwned(),
    apply: (record, ctx) => {
      const cls = configuredClass(classes, record.spec.class, "machine");
      return backend.apply(
        { id: record.metadata.id, labels: record.metadata.labels, class: cls, spec: record.spec },
        ctx,
      );
    },
    remove: (ref) => backend.remove(ref),
    toStatus: (_record, observed, generation) =>
      create(machine.MachineStatusSchema, {
        observedGeneration: generation,
        state: observed.state,
        imageRef: observed.imageRef ?? "",
        volumes: [...observed.volumes],
        networkInterfaces: [...observed.networkInterfaces],
      }),
    fromStatus: (record) =>
      record.status.observedGeneration === 0n
        ? undefined
        : {
            state: record.status.state,
            imageRef: record.status.imageRef,
            volumes: record.status.volumes,
            networkInterfaces: record.status.networkInterfaces,
          },
    statusEquals: (a, b) => equals(machine.MachineStatusSchema, a, b),
    failedStatus: (record, failure) =>
      create(machine.MachineStatusSchema, {
        ...record.status,
        machineConditions: [
          create(machine.ConditionsSchema, {
            type: "Ready",
            status: "False",
            reason: failure.reason,
            message: failure.message,
          }),
        ],
      }),
    deletingStatus: (record) =>
      record.status.state === machine.MachineState.MACHINE_TERMINATING
        ? undefined
        : create(machine.MachineStatusSchema, {
            ...record.status,
            state: machine.MachineState.MACHINE_TERMINATING,
          }),
    transition: (before, after) => {
      if (before.state === after.state) return undefined;
      const note = stateNotes[after.state];
      return note && { type: "Normal", ...note };
    },
  };
}
