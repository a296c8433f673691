import type { MachineBackend } from "@iri/backend-api";
import type { EventRecorder } from "@iri/runtime-kit";
import type { MachineClassConfig } from "../machine-classes.js";
import type { MachineCollection } from "../machine-store.js";
import type { MachineCapacity } from "./capacity.js";
import type { ListedBytes } from "./listed-bytes.js";
import type { LocalDiskBudget } from "./local-disk-budget.js";

/** What the RPC handlers work with. Handlers validate, write the store and return; the reconciler acts. */
export interface MachineServerContext {
  readonly machines: MachineCollection;
  readonly classes: readonly MachineClassConfig[];
  readonly capacity: MachineCapacity;
  /** What all machines take in ListMachines, against its budget. */
  readonly listed: ListedBytes;
  /** Local-disk bytes of all machines, against the host's disk budget. */
  readonly diskBudget: LocalDiskBudget;
  readonly backend: MachineBackend;
  readonly events: EventRecorder;
  /** Issues an exec URL for a machine; absent when the backend has no console. */
  readonly execUrl: ((machineId: string) => string) | undefined;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
}
