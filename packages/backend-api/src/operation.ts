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

/** A resource a backend holds, with the owner tag it carries. */
export interface OwnedResource {
  readonly id: string;
  /** The instanceId the resource is tagged with ("" when the tag is missing or unreadable). */
  readonly owner: string;
  readonly placement?: Placement;
}
