import type { Duplex } from "node:stream";
import type { machine } from "@iri/api";
import type { MachineClassConfig } from "./class-config.js";
import type { ApplyOutcome, ObjectRef, OperationContext, OwnedResource, RemoveOutcome } from "./operation.js";

/** What a machine backend is asked to realise. */
export interface MachineIntent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The machine's class: cpu, memory and extras. */
  readonly class: MachineClassConfig;
  /** The stored spec, exactly as the poollet sent it (volumes, NICs, power, ignition, guest config). */
  readonly spec: machine.MachineSpec;
}

/** What the backend observed; the provider writes it to the machine's status. */
export interface MachineObservation {
  /** Never MACHINE_STOPPED (the poollet cannot map it); TERMINATING/TERMINATED are set by the provider. */
  readonly state: machine.MachineState;
  readonly imageRef?: string;
  readonly volumes: readonly machine.VolumeStatus[];
  readonly networkInterfaces: readonly machine.NetworkInterfaceStatus[];
}

export interface HostCapacity {
  readonly cpus: number;
  readonly memoryBytes: bigint;
}

export interface MachineBackend {
  /** Short name for logs and metrics, e.g. "qemu". */
  readonly name: string;
  /** Drives the machine towards `intent`. Idempotent; safe to call again at any time. */
  apply(
    intent: MachineIntent,
    ctx: OperationContext<MachineObservation>,
  ): Promise<ApplyOutcome<MachineObservation>>;
  /** Removes everything the backend holds for the machine; NotDone while e.g. a guest still shuts down. */
  remove(ref: ObjectRef): Promise<RemoveOutcome>;
  /** Every machine the backend holds resources for, with its owner tag (adoption and orphan handling). */
  listOwned(): Promise<OwnedResource[]>;
  /** What the host offers to machines, before reservation and overcommit. */
  hostCapacity(): Promise<HostCapacity>;
  /**
   * The machine's serial console as a byte stream (what is written goes to the guest); it ends when `signal`
   * aborts or the machine stops. The provider's streaming server serves it to Exec sessions. Absent when the
   * backend has no console.
   */
  openConsole?(id: string, signal: AbortSignal): Promise<Duplex>;
  close(): Promise<void>;
}
