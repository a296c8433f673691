import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { Collection, StoredRecord } from "@iri/store";
import type { CachedListEncoder } from "./cached-list.js";
import { isUnfiltered, listRecords, type RecordFilter } from "./list-records.js";

/**
 * A List handler's whole work: the records `filter` selects, as a `responseSchema` response whose repeated
 * field of the encoder's element type carries them (an unchanged whole collection as prepared bytes).
 */
export function listResponse<Spec, Status, Desc extends DescMessage, ResDesc extends DescMessage>(
  encoder: CachedListEncoder<StoredRecord<Spec, Status>, Desc>,
  context: HandlerContext,
  responseSchema: ResDesc,
  collection: Collection<Spec, Status>,
  filter: RecordFilter | undefined,
): MessageShape<ResDesc> {
  const field = responseSchema.fields.find(
    (f) =>
      f.fieldKind === "list" && f.listKind === "message" && f.message.typeName === encoder.schema.typeName,
  );
  if (field === undefined) {
    throw new Error(`${responseSchema.typeName} has no repeated ${encoder.schema.typeName} field`);
  }
  const records = listRecords(collection, filter);
  return encoder.respond(context, create(responseSchema), field.number, records, isUnfiltered(filter));
}
