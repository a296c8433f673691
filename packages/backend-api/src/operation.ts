import type { EventType } from "./context.js";

/**
 * Where a backend put an object when it first realised it (e.g. `{pool: "ssd"}`), as the backend reported it.
 * The provider stores it with the object and hands it back on every later call, so that a changed class file
 * never makes a backend look for (or create) the object elsewhere.
 */
export type Placement = Readonly<Record<string, string>>;

/** What a backend gets with every apply/remove call. */
export interface OperationContext<Observation> {
  /** Aborted when the object is deleted meanwhile, or the provider stops. */
  readonly signal: AbortSignal;
  /** The object's metadata.generation (bumped on every spec change). */
  readonly generation: bigint;
  /** What the backend last reported for this object (undefined before the first report). */
  readonly lastObservation: Observation | undefined;
  /** What the backend recorded when it first realised the object; undefined before. */
  readonly placement: Placement | undefined;
  /**
   * The creation tag to put on every resource the backend creates for this object (beside the owner's
   * instance id): it lets the orphan pass tell what this store created from what a restored or copied store
   * never knew. Stable for the object's whole life.
   */
  readonly tag: CreationTag;
  /** Records an event about this object. */
  event(type: EventType, reason: string, message: string): void;
  /**
   * Writes an observation to the object's status now, before the call returns (progress, the devices that
   * are ready while another is still failing).
   */
  report(observation: Observation): Promise<void>;
}

/** The call is not done: call again after `afterMs`, because of `reason` (CamelCase) and `message`. */
export interface NotDone {
  readonly afterMs: number;
  readonly reason: string;
  readonly message: string;
  /**
   * The wait needs someone to act (e.g. a bucket that is not empty, an image with watchers): recorded as a
   * Warning event (once per reason), else as nothing but a log line.
   */
  readonly blocked?: boolean;
}

export interface ApplyOutcome<Observation> {
  readonly observation: Observation;
  /** Set when the object was first realised (or moved): stored and handed back as `placement`. */
  readonly placement?: Placement;
  /** Not converged yet (e.g. a guest still booting, a population running). */
  readonly notDone?: NotDone;
}

/** undefined: everything is gone. */
export type RemoveOutcome = NotDone | undefined;

/** What remove and the orphan pass get: the object as last known. */
export interface ObjectRef {
  readonly id: string;
  readonly placement: Placement | undefined;
  readonly signal: AbortSignal;
  event(type: EventType, reason: string, message: string): void;
}

/**
 * Which life of which store created a resource: `lineage` is the token of the provider's life (a new one at
 * every start) and `generation` the store's creation counter, raised and committed before the resource exists.
 */
export interface CreationTag {
  readonly lineage: string;
  readonly generation: number;
}

/** A resource a backend holds, with the owner tag it carries. */
export interface OwnedResource {
  readonly id: string;
  /** The instanceId the resource is tagged with ("" when the tag is missing or unreadable). */
  readonly owner: string;
  readonly placement?: Placement;
  /** The creation tag the resource carries; absent when it carries none (orphan handling then never removes it). */
  readonly created?: CreationTag;
  /**
   * Why the backend could not prove the resource is its own (e.g. a process whose pid file is not in a
   * directory the backend created): such a resource is quarantined, never removed.
   */
  readonly unproven?: string;
}
