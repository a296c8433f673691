// The runtime under test, seen through the operations every IRI runtime shares. The common cases are written
// once against this interface; runtime-specific cases use the typed client each subject also exposes.
import type { DescMessage } from "@bufbuild/protobuf";
import type { event, meta } from "@iri/api";

export type RuntimeKind = "machine" | "volume" | "bucket";

/** The shape all three IRI object kinds share (Machine, Volume, Bucket). */
export interface RuntimeObject {
  metadata?: meta.ObjectMetadata;
  spec?: object;
  status?: object;
}

export interface VersionInfo {
  runtimeName: string;
  runtimeVersion: string;
}

export interface ClassInfo {
  name: string;
  /** Set when the class entry is unusable by a poollet (e.g. capabilities missing). */
  problem?: string;
}

export interface BuildOptions {
  className: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  id?: string;
}

export interface ListFilter {
  id?: string;
  labelSelector?: Record<string, string>;
}

export interface EventQuery {
  id?: string;
  labelSelector?: Record<string, string>;
  fromSeconds?: bigint;
  toSeconds?: bigint;
}

/** The List request all three runtimes share in shape; no filter at all when none is given. */
export function listRequest(filter: ListFilter | undefined) {
  return filter ? { filter: { id: filter.id, labelSelector: filter.labelSelector } } : {};
}

/** The ListEvents request all three runtimes share in shape; no filter at all when none is given. */
export function eventsRequest(query: EventQuery | undefined) {
  if (!query) return {};
  const { id, labelSelector, fromSeconds, toSeconds } = query;
  return { filter: { id, labelSelector, eventsFromTime: fromSeconds, eventsToTime: toSeconds } };
}

export interface Subject<O extends RuntimeObject = RuntimeObject> {
  readonly runtime: RuntimeKind;
  /** What the runtime calls its objects, for messages: "machine", "volume", "bucket". */
  readonly noun: string;
  readonly objectSchema: DescMessage;
  /** Every state name a consumer can map; anything else is a conformance failure. */
  readonly validStates: readonly string[];
  /** States a freshly created object may be in. */
  readonly createdStates: readonly string[];
  /** The state an object converges to when the backend works (RUNNING / AVAILABLE). */
  readonly readyState: string;

  version(requestVersion: string): Promise<VersionInfo>;
  /** Status (machine, volume) or ListBucketClasses (bucket). */
  listClasses(): Promise<ClassInfo[]>;

  /** A minimal valid object, as a poollet would send it. */
  build(options: BuildOptions): O;
  /** `object` with a different spec (same id and metadata); `unknownClass` when only the class could differ. */
  withDifferentSpec(object: O, classNames: readonly string[]): { object: O; unknownClass: boolean };
  /** An object message with neither metadata nor spec. */
  bare(): O;

  create(object: O | undefined): Promise<O>;
  list(filter?: ListFilter): Promise<O[]>;
  delete(id: string): Promise<void>;
  listEvents(query?: EventQuery): Promise<event.Event[]>;

  serialize(object: O): Uint8Array;
  specEquals(a: O, b: O): boolean;
  stateName(object: O): string;
  /** Why a listed or created object would crash a Go consumer (nil sub-messages), or undefined. */
  incompleteness(object: O): string | undefined;
}
