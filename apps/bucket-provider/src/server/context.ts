import type { BucketBackend, BucketClassConfig } from "@iri/backend-api";
import type { EventRecorder } from "@iri/runtime-kit";
import type { BucketCollection } from "../bucket-store.js";

/** What the RPC handlers work with. Handlers validate, write the store and return; the reconciler acts. */
export interface BucketServerContext {
  readonly buckets: BucketCollection;
  readonly classes: readonly BucketClassConfig[];
  readonly backend: BucketBackend;
  readonly events: EventRecorder;
  readonly runtimeName: string;
  readonly runtimeVersion: string;
}
