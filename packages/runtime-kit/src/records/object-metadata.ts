import { create } from "@bufbuild/protobuf";
import { meta } from "@iri/api";
import type { ObjectMeta } from "@iri/store";

/** The IRI view of a stored record's metadata (created_at/deleted_at in Unix nanoseconds). */
export function toObjectMetadata(m: ObjectMeta): meta.ObjectMetadata {
  return create(meta.ObjectMetadataSchema, {
    id: m.id,
    labels: { ...m.labels },
    annotations: { ...m.annotations },
    generation: m.generation,
    createdAt: m.createdAt,
    deletedAt: m.deletedAt,
  });
}
