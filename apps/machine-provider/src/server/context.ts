import type { MachineBackend } from "@iri/backend-api";
import type { EventRecorder } from "@iri/runtime-kit";
import type { ClassUsage } from "../class-usage.js";
import type { CapacityPolicy, MachineClassConfig } from "../machine-classes.js";
import type { MachineCollection } from "../machine-store.js";

/** What the RPC handlers work with. Handlers validate, write the store and return; the reconciler acts. */
export interface MachineServerContext {
  readonly machines: MachineCollection;
  readonly classes: readonly MachineClassConfig[];
  readonly capacityPolicy: CapacityPolicy;
  readonly classUsage: ClassUsage;
  readonly backend: MachineBackend;
  readonly events: EventRecorder;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
}
