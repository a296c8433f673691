import type { bucket } from "@iri/api";
import type { ClassConfig } from "./class-config.js";

/** A bucket class; its settings are e.g. quotas. */
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
  readonly requeueAfterMs?: number;
}

export interface BucketBackend {
  readonly name: string;
  apply(intent: BucketIntent, signal: AbortSignal): Promise<BucketObservation>;
  /** Throws DeletionBlockedError while the bucket cannot go (e.g. not empty and purging is off). */
  remove(id: string, signal: AbortSignal): Promise<void>;
  listOwned(): Promise<string[]>;
  close(): Promise<void>;
}
