import type { machine } from "@iri/api";

/** What a machine backend is asked to realise. */
export interface MachineIntent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The stored spec, exactly as the poollet sent it (volumes, NICs, power, ignition, guest config). */
  readonly spec: machine.MachineSpec;
}

/** What the backend observed after acting; the reconciler writes it to the machine's status. */
export interface MachineObservation {
  /** Never MACHINE_STOPPED (the poollet cannot map it); TERMINATING/TERMINATED are set by the provider. */
  readonly state: machine.MachineState;
  readonly imageRef?: string;
  readonly volumes: readonly machine.VolumeStatus[];
  readonly networkInterfaces: readonly machine.NetworkInterfaceStatus[];
  /** Ask to be reconciled again (e.g. while a guest boots or shuts down). */
  readonly requeueAfterMs?: number;
}

export interface HostCapacity {
  readonly cpus: number;
  readonly memoryBytes: bigint;
}

export interface MachineBackend {
  /** Short name for logs and metrics, e.g. "qemu". */
  readonly name: string;
  /** Drives the machine towards `intent`. Idempotent; safe to call again at any time. */
  apply(intent: MachineIntent, signal: AbortSignal): Promise<MachineObservation>;
  /** Removes everything the backend holds for the machine. Idempotent; resolves once nothing is left. */
  remove(id: string, signal: AbortSignal): Promise<void>;
  /** Ids of every machine the backend holds resources for (adoption and orphan removal at start). */
  listOwned(): Promise<string[]>;
  /** What the host offers to machines, before reservation and overcommit. */
  hostCapacity(): Promise<HostCapacity>;
  /** A single-use URL serving the Kubernetes remotecommand protocol; absent when unsupported. */
  exec?(id: string): Promise<string>;
  /** Reports machines whose actual state changed on its own (e.g. a guest powered off). */
  watch?(notify: (id: string) => void): () => void;
  close(): Promise<void>;
}
