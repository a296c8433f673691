import type { bucket } from "@iri/api";
import type { ClassConfig } from "./class-config.js";
import type { ApplyOutcome, ObjectRef, OperationContext, OwnedResource, RemoveOutcome } from "./operation.js";

/** A bucket class; its settings are e.g. quotas and whether delete may purge contents. */
export type BucketClassConfig = ClassConfig;

export interface BucketIntent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly class: BucketClassConfig;
}

export interface BucketObservation {
  readonly state: bucket.BucketState;
  /** Present once the bucket is AVAILABLE: endpoint and credentials that open this bucket only. */
  readonly access?: bucket.BucketAccess;
}

export interface BucketBackend {
  readonly name: string;
  apply(
    intent: BucketIntent,
    ctx: OperationContext<BucketObservation>,
  ): Promise<ApplyOutcome<BucketObservation>>;
  /**
   * Revokes the bucket's credentials at once and removes the bucket; NotDone (blocked) while it must stay,
   * e.g. not empty and its class does not allow purging.
   */
  remove(ref: ObjectRef): Promise<RemoveOutcome>;
  listOwned(): Promise<OwnedResource[]>;
  close(): Promise<void>;
}
