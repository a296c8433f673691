// What a conformance case is and what it gets to work with.
import type { Subject } from "./subjects/subject.js";

export interface Timing {
  /** Deadline for anything that converges asynchronously (state changes, deletion). */
  timeoutMs: number;
  pollIntervalMs: number;
  /** Gap between two Lists that must be byte-identical (long enough for a seconds timestamp to tick). */
  stableGapMs: number;
}

export type ObjectOf<S> = S extends Subject<infer O> ? O : never;

export interface CaseContext<S extends Subject = Subject> {
  readonly subject: S;
  /** Random per run; every object the suite creates carries it as `conformance.iri.dev/run`. */
  readonly runId: string;
  readonly timing: Timing;
  /** Aborted when the case exceeds its overall time limit. */
  readonly signal: AbortSignal;
  /** The class to create objects with: `--class`, else the first usable class the runtime reports. */
  className(): Promise<string>;
  /** Every class name the runtime reports. */
  classNames(): Promise<string[]>;
  /** Labels unique to one new object: the run label plus `conformance.iri.dev/object=<random>`. */
  uniqueLabels(): Record<string, string>;
  /** A fresh, valid caller-supplied id (DNS label). */
  uniqueId(): string;
  /** A minimal valid object with the run's class and unique labels (plus `labels`, `annotations`). */
  newObject(extra?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    id?: string;
  }): Promise<ObjectOf<S>>;
  /** Creates through the subject and, if that succeeded, schedules the object's deletion for cleanup. */
  create(object: ObjectOf<S> | undefined): Promise<ObjectOf<S>>;
  /** Registers a cleanup step; steps run last-in first-out after the case, whatever its outcome. */
  defer(description: string, cleanup: () => Promise<void>): void;
}

export interface ConformanceCase<S extends Subject = Subject> {
  readonly name: string;
  /** The contract rule the case encodes, one sentence (shown by `--list` and in the README). */
  readonly rule: string;
  run(ctx: CaseContext<S>): Promise<void>;
}
