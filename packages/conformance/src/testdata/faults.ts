// Deliberate contract violations the reference servers can be switched into, one per rule, so the tests can
// show that the case encoding that rule fails (and only needs that one fault to fail).
export type Fault =
  /** Version answers runtime_name "reference://runtime". */
  | "version-name-with-scheme"
  /** Version fails unless the request's version field is empty. */
  | "version-rejects-junk"
  /** Objects are returned without status. */
  | "status-omitted"
  /** A Delete of an object that is already being deleted answers Internal. */
  | "redelete-internal"
  /** List with an unknown filter.id answers NotFound instead of an empty list. */
  | "list-unknown-id-errors"
  /** Labels whose value is empty are not stored (so not echoed). */
  | "labels-drop-empty-values"
  /** created_at is written in Unix seconds. */
  | "created-at-seconds"
  /** Machines: every List carries a condition whose last_transition_time is "now". */
  | "volatile-status"
  /** Delete of an unknown id answers Internal. */
  | "delete-unknown-internal"
  /** A selector pair {key: ""} also matches objects that lack the key. */
  | "selector-empty-value-matches-absent"
  /** ListEvents ignores the time window. */
  | "events-window-ignored"
  /** event_time is written in Unix nanoseconds. */
  | "event-time-nanoseconds"
  /** Create with an existing id and another spec overwrites the object. */
  | "duplicate-id-overwrites"
  /** UpdateMachineAnnotations merges into the existing annotations. */
  | "annotations-merged"
  /** NIC ips are stored sorted. */
  | "nic-ips-sorted"
  /** A powered-off machine reports MACHINE_STOPPED. */
  | "power-off-stopped"
  /** Detach removes the entry only a while after it returned. */
  | "detach-deferred"
  /** ExpandVolume updates status.resources but not spec.resources. */
  | "expand-status-only"
  /** CreateVolumeSnapshot of an unknown volume succeeds. */
  | "snapshot-dangling";

export interface ReferenceOptions {
  faults?: readonly Fault[];
  /** Delay before an object converges (PENDING → RUNNING/AVAILABLE) and before a deleted one disappears. */
  settleMs?: number;
}
