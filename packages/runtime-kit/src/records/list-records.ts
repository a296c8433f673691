import type { Collection, StoredRecord } from "@iri/store";

export interface RecordFilter {
  id: string;
  labelSelector: { [key: string]: string };
}

/**
 * The records an IRI List filter selects: no filter → all; `id` → exactly that record (unknown → none);
 * `label_selector` → equality on every pair. Both apply when both are given.
 */
export function listRecords<Spec, Status>(
  collection: Collection<Spec, Status>,
  filter: RecordFilter | undefined,
): StoredRecord<Spec, Status>[] {
  if (!filter) return collection.list();
  const labelSelector = filter.labelSelector;
  if (filter.id !== "") return collection.list({ id: filter.id, labelSelector });
  return collection.list({ labelSelector });
}

/** Whether a List filter selects the whole collection (absent, or neither id nor selector set). */
export function isUnfiltered(filter: RecordFilter | undefined): boolean {
  return filter === undefined || (filter.id === "" && Object.keys(filter.labelSelector).length === 0);
}
