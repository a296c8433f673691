import { type DescMessage, equals, type MessageShape } from "@bufbuild/protobuf";
import type { Collection, StoredRecord } from "@iri/store";

/**
 * Writes a reconciler's observed status unless it equals the stored one: an unchanged status must not bump the
 * resourceVersion or wake watchers, and Lists stay byte-identical while nothing changes.
 * Returns the record as it now is.
 */
export async function writeStatus<Spec, Desc extends DescMessage>(
  collection: Collection<Spec, MessageShape<Desc>>,
  schema: Desc,
  record: StoredRecord<Spec, MessageShape<Desc>>,
  status: MessageShape<Desc>,
): Promise<StoredRecord<Spec, MessageShape<Desc>>> {
  if (equals(schema, record.status, status)) return record;
  return collection.mutate(record.metadata.id, (current) =>
    equals(schema, current.status, status) ? undefined : { status },
  );
}
