import type { StoredRecord } from "./types.js";

/** What the in-memory index keeps per record. */
export interface Entry<Spec, Status> {
  readonly record: StoredRecord<Spec, Status>;
  /** resourceVersion of the create: the record's place in creation order, persisted. */
  readonly createdVersion: bigint;
}

/** What a committed batch does to one collection's memory; the collection applies it after the commit. */
export interface EntryOwner {
  readonly name: string;
  // A method, so that a collection may declare it for its own record types (parameters of methods are
  // checked bivariantly).
  apply(step: Step<unknown, unknown>): void;
}

/**
 * One write of a batch, as SQL and as a change to memory. Encoded parts are null when unchanged, so an update
 * of metadata does not re-encode spec and status.
 */
export type Step<Spec, Status> =
  | {
      readonly kind: "put";
      readonly owner: EntryOwner;
      readonly event: "added" | "modified";
      readonly entry: Entry<Spec, Status>;
      readonly specBytes: Uint8Array | null;
      readonly statusBytes: Uint8Array | null;
    }
  | {
      readonly kind: "remove";
      readonly owner: EntryOwner;
      /** The record's last state, with the resourceVersion of its removal. */
      readonly entry: Entry<Spec, Status>;
    };

/**
 * The writes of one group commit. Each write is planned against the committed state plus the effects of the
 * writes before it in the same batch, so two creates of one id in a batch conflict as they would in sequence.
 */
export class WriteBatch {
  readonly steps: Step<unknown, unknown>[] = [];
  // Keyed by owner; each inner map holds that owner's record type.
  private readonly overlay = new Map<EntryOwner, Map<string, Entry<unknown, unknown> | null>>();

  constructor(private currentVersion: bigint) {}

  get version(): bigint {
    return this.currentVersion;
  }

  nextVersion(): bigint {
    this.currentVersion += 1n;
    return this.currentVersion;
  }

  /** The entry as this batch so far leaves it: null when removed, undefined when the batch did not touch it. */
  pending<Spec, Status>(owner: EntryOwner, id: string): Entry<Spec, Status> | null | undefined {
    return this.overlay.get(owner)?.get(id) as Entry<Spec, Status> | null | undefined;
  }

  add<Spec, Status>(step: Step<Spec, Status>): void {
    this.steps.push(step as Step<unknown, unknown>);
    let entries = this.overlay.get(step.owner);
    if (entries === undefined) {
      entries = new Map();
      this.overlay.set(step.owner, entries);
    }
    entries.set(step.entry.record.metadata.id, step.kind === "put" ? step.entry : null);
  }
}
