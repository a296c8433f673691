import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { type MachineBackend, PermanentBackendError } from "@iri/backend-api";
import { type ReconcileResult, TerminalError } from "@iri/reconcile";
import { type EventRecorder, writeStatus } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, type MachineCollection, type MachineRecord } from "../machine-store.js";

export interface MachineReconcilerDeps {
  machines: MachineCollection;
  backend: MachineBackend;
  events: EventRecorder;
}

const stateReasons: Partial<Record<machine.MachineState, string>> = {
  [machine.MachineState.MACHINE_RUNNING]: "Running",
  [machine.MachineState.MACHINE_SUSPENDED]: "PoweredOff",
  [machine.MachineState.MACHINE_TERMINATING]: "Terminating",
};

/**
 * Drives one machine towards its spec through the backend and writes what it observed to the status.
 * Deletion is a reconcile step too: the backend releases everything, then the finalizer goes.
 */
export function machineReconciler(deps: MachineReconcilerDeps) {
  const { machines, backend, events } = deps;

  async function setStatus(record: MachineRecord, status: machine.MachineStatus): Promise<void> {
    const updated = await writeStatus(machines, machine.MachineStatusSchema, record, status);
    const reason = stateReasons[updated.status.state];
    if (reason && updated.status.state !== record.status.state) {
      events.record({
        involved: updated.metadata,
        type: "Normal",
        reason,
        action: "Reconcile",
        message: `machine is ${reason.toLowerCase()}`,
      });
    }
  }

  return async (id: string, signal: AbortSignal): Promise<ReconcileResult | undefined> => {
    const record = machines.get(id);
    if (!record) return undefined;

    if (record.metadata.deletedAt !== 0n) {
      if (record.status.state !== machine.MachineState.MACHINE_TERMINATING) {
        await setStatus(
          record,
          create(machine.MachineStatusSchema, {
            ...record.status,
            state: machine.MachineState.MACHINE_TERMINATING,
          }),
        );
      }
      await backend.remove(id, signal);
      await machines.removeFinalizer(id, BACKEND_FINALIZER);
      return undefined;
    }

    try {
      const observed = await backend.apply({ id, labels: record.metadata.labels, spec: record.spec }, signal);
      await setStatus(
        record,
        create(machine.MachineStatusSchema, {
          observedGeneration: record.metadata.generation,
          state: observed.state,
          imageRef: observed.imageRef ?? "",
          volumes: [...observed.volumes],
          networkInterfaces: [...observed.networkInterfaces],
          machineConditions: record.status.machineConditions,
        }),
      );
      return observed.requeueAfterMs === undefined ? undefined : { requeueAfterMs: observed.requeueAfterMs };
    } catch (err) {
      if (err instanceof PermanentBackendError) {
        events.record({
          involved: record.metadata,
          type: "Warning",
          reason: err.reason,
          action: "Reconcile",
          message: err.message,
        });
        throw new TerminalError(err.message);
      }
      throw err;
    }
  };
}
