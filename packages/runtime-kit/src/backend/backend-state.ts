import type { CreationTag, Placement } from "@iri/backend-api";
import { type Collection, type Database, jsonCodec } from "@iri/store";

/** What the provider keeps about an object's backend side, beside the IRI record (never listed). */
export interface BackendState {
  /** Where the backend put the object when it first realised it. */
  placement?: Placement;
  /** The creation tag the backend puts on the object's resources (given out before its first apply). */
  tag?: CreationTag;
  /** A permanent failure at a generation: not retried until the spec changes or the retry interval passes. */
  failure?: { generation: string; reason: string; message: string; atMs: number };
}

export type BackendStateCollection = Collection<BackendState, Record<string, never>>;

/** The sidecar collection `<kind>_backend` of an object kind. */
export function openBackendState(db: Database, kind: string): BackendStateCollection {
  return db.collection(`${kind}_backend`, {
    kind: `${kind} backend state`,
    spec: jsonCodec<BackendState>(),
    status: jsonCodec<Record<string, never>>(),
  });
}

/** Writes the state of `id` (creating or replacing it) unless it already reads so. */
export async function putBackendState(
  states: BackendStateCollection,
  id: string,
  next: BackendState,
): Promise<void> {
  const current = states.get(id);
  if (current === undefined) {
    await states.create({ id, spec: next, status: {} });
    return;
  }
  if (JSON.stringify(current.spec) === JSON.stringify(next)) return;
  await states.mutate(id, () => ({ spec: next }));
}
