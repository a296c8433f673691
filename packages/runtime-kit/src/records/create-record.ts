import { AlreadyExistsError, type Collection, type StoredRecord } from "@iri/store";
import { alreadyExists } from "../errors.js";
import { generateId } from "../ids.js";
import { requireValidId } from "../validate.js";

export interface CreateRecordInput<Spec, Status> {
  /** Caller-supplied `metadata.id`; empty means "generate one". */
  requestedId: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  spec: Spec;
  status: Status;
  /** Whether an existing record with the requested id is the same request (then it is returned, not an error). */
  isSameRequest(existing: StoredRecord<Spec, Status>): boolean;
}

/**
 * Creates a record, honouring a caller-supplied id: the same id with the same request returns the existing
 * record (a retried create is idempotent); the same id with a different request is AlreadyExists.
 */
export async function createRecord<Spec, Status>(
  collection: Collection<Spec, Status>,
  input: CreateRecordInput<Spec, Status>,
): Promise<StoredRecord<Spec, Status>> {
  const { requestedId, isSameRequest, ...fields } = input;
  if (requestedId !== "") {
    requireValidId(requestedId, "metadata.id");
    const existing = collection.get(requestedId);
    if (existing) return sameOrConflict(collection, existing, isSameRequest);
    try {
      return await collection.create({ id: requestedId, ...fields });
    } catch (err) {
      // Lost a race with a concurrent create of the same id.
      const winner = err instanceof AlreadyExistsError ? collection.get(requestedId) : undefined;
      if (winner) return sameOrConflict(collection, winner, isSameRequest);
      throw err;
    }
  }
  for (;;) {
    try {
      return await collection.create({ id: generateId(), ...fields });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
}

function sameOrConflict<Spec, Status>(
  collection: Collection<Spec, Status>,
  existing: StoredRecord<Spec, Status>,
  isSameRequest: (existing: StoredRecord<Spec, Status>) => boolean,
): StoredRecord<Spec, Status> {
  if (existing.metadata.deletedAt === 0n && isSameRequest(existing)) return existing;
  throw alreadyExists(`${collection.name} ${JSON.stringify(existing.metadata.id)} already exists`);
}
