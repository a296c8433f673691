import type { VolumeBackend, VolumeClassConfig } from "@iri/backend-api";
import type { EventRecorder } from "@iri/runtime-kit";
import type { VolumeCapacity } from "../volume-capacity.js";
import type { SnapshotCollection, VolumeCollection } from "../volume-store.js";

/** What the RPC handlers work with. Handlers validate, write the store and return; the reconcilers act. */
export interface VolumeServerContext {
  readonly volumes: VolumeCollection;
  readonly snapshots: SnapshotCollection;
  readonly classes: readonly VolumeClassConfig[];
  readonly capacity: VolumeCapacity;
  /** The largest volume a create or expand may ask for (--max-volume-bytes). */
  readonly maxVolumeBytes: bigint;
  readonly backend: VolumeBackend;
  readonly events: EventRecorder;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
}
