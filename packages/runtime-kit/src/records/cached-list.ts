import { type DescMessage, type Message, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/**
 * Builds List responses from per-record encodings that are computed once per record version.
 *
 * Poollets List every object every few seconds, almost always unchanged. Store records are immutable (a write
 * replaces the object), so a WeakMap keyed by the record holds its encoded IRI message exactly as long as that
 * version exists. The response carries the cached encodings as unknown fields of the repeated field's number:
 * protobuf-es writes unknown fields verbatim, so the bytes on the wire are identical to encoding the messages
 * in the repeated field, without building or encoding 10,000 messages per call.
 */
export class CachedListEncoder<Rec extends object, Desc extends DescMessage> {
  readonly #encoded = new WeakMap<Rec, Uint8Array>();

  constructor(
    private readonly schema: Desc,
    private readonly toMessage: (record: Rec) => MessageShape<Desc>,
  ) {}

  /**
   * Returns `response` with `records` as elements of its repeated message field `fieldNumber`.
   * The response's own field for them must be left empty.
   */
  fill<Res extends Message>(response: Res, fieldNumber: number, records: readonly Rec[]): Res {
    response.$unknown = records.map((record) => ({
      no: fieldNumber,
      wireType: WireType.LengthDelimited,
      data: this.#lengthDelimited(record),
    }));
    return response;
  }

  #lengthDelimited(record: Rec): Uint8Array {
    let data = this.#encoded.get(record);
    if (data === undefined) {
      const message = toBinary(this.schema, this.toMessage(record));
      data = new BinaryWriter().uint32(message.length).raw(message).finish();
      this.#encoded.set(record, data);
    }
    return data;
  }
}
