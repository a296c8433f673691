import type { DescMessage, Message } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { HandlerContext } from "@connectrpc/connect";
import { answerPrepared } from "../transport/index.js";
import { fieldLength, type PreparedElement, writeFieldHeader } from "./wire.js";

/** The gRPC length prefix: a flag byte and a 4-byte big-endian length. */
const ENVELOPE_BYTES = 5;

/**
 * Builds List responses from encodings computed once per record version, and serves an unchanged collection
 * from one body built once.
 *
 * Poollets List every object every few seconds, almost always unchanged. Store records are immutable (a write
 * replaces the object), so the record objects a List returns say whether anything changed: the same records
 * in the same order are the same response. The response carries the encoded elements as unknown fields of the
 * repeated field's number: protobuf-es writes unknown fields verbatim, so the bytes on the wire are identical to
 * encoding the messages in the repeated field, without building or encoding 10,000 messages per call.
 *
 * Memory: the body of the last whole List is held once, with its gRPC length prefix, and `respond` hands it
 * to the transport as it is (answerPrepared): an unchanged collection costs no encoding, no copy and no
 * garbage. Each record's cached encoding is a view into that body (a WeakMap keyed by the record holds it
 * exactly as long as that version exists), so an element is not held twice. Filtered Lists use the same
 * encodings.
 */
export class CachedListEncoder<Rec extends object, Desc extends DescMessage> {
  /** Per record version: its element bytes (tag, length, message), usually a view into `#body`. */
  readonly #encoded = new WeakMap<Rec, Uint8Array>();
  #lastRecords: readonly Rec[] = [];
  /** The last whole List response: length prefix, then the body. */
  #enveloped: Uint8Array = new Uint8Array(ENVELOPE_BYTES);

  constructor(
    /** The element's message type (e.g. machine.Machine). */
    readonly schema: Desc,
    /** A record's element as a `schema` message, ready to be written (storedElement: from the stored bytes). */
    private readonly elements: { prepare(record: Rec): PreparedElement },
  ) {}

  /**
   * Returns `response` with `records` as elements of its repeated message field `fieldNumber`.
   * The response's own field for them must be left empty. `whole` says that `records` is the whole
   * collection (an unfiltered List): its body is kept for the next such call.
   */
  fill<Res extends Message>(response: Res, fieldNumber: number, records: readonly Rec[], whole = false): Res {
    if (records.length === 0) {
      response.$unknown = [];
      return response;
    }
    const body = whole
      ? this.#wholeEnveloped(fieldNumber, records).subarray(ENVELOPE_BYTES)
      : this.#concat(fieldNumber, records, 0);
    // protobuf-es writes an unknown field as its tag followed by the data: the body minus its first tag.
    const tagLength = tagBytes(fieldNumber).length;
    response.$unknown = [
      { no: fieldNumber, wireType: WireType.LengthDelimited, data: body.subarray(tagLength) },
    ];
    return response;
  }

  /**
   * As fill, but the whole collection (`whole`) is answered with the prepared response bytes when the
   * transport takes them (serveRuntime does); `response` is then returned empty.
   */
  respond<Res extends Message>(
    context: HandlerContext,
    response: Res,
    fieldNumber: number,
    records: readonly Rec[],
    whole: boolean,
  ): Res {
    if (whole && records.length > 0 && answerPrepared(context, this.#wholeEnveloped(fieldNumber, records))) {
      return response;
    }
    return this.fill(response, fieldNumber, records, whole);
  }

  #wholeEnveloped(fieldNumber: number, records: readonly Rec[]): Uint8Array {
    if (!sameRecords(records, this.#lastRecords)) {
      const enveloped = this.#concat(fieldNumber, records, ENVELOPE_BYTES);
      new DataView(enveloped.buffer, enveloped.byteOffset).setUint32(1, enveloped.length - ENVELOPE_BYTES);
      this.#enveloped = enveloped;
      this.#lastRecords = records.slice();
    }
    return this.#enveloped;
  }

  /**
   * The elements one after the other, after `prefix` bytes left zero. With a prefix (the whole List), a new
   * element is written straight into the body (none is allocated apart: on a first List that was 10,000
   * buffers of garbage) and each record's encoding is re-pointed into the new body, so the old one can go.
   * A filtered List's new elements get buffers of their own, so that its response does not stay pinned.
   */
  #concat(fieldNumber: number, records: readonly Rec[], prefix: number): Uint8Array {
    const whole = prefix > 0;
    const elements = records.map((record) =>
      whole
        ? (this.#encoded.get(record) ?? this.elements.prepare(record))
        : this.#element(fieldNumber, record),
    );
    let length = prefix;
    for (const element of elements) {
      length += element instanceof Uint8Array ? element.length : fieldLength(fieldNumber, element.length);
    }
    const body = new Uint8Array(length);
    let offset = prefix;
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i] as Uint8Array | PreparedElement;
      const end = writeElement(body, offset, fieldNumber, element);
      if (whole) this.#encoded.set(records[i] as Rec, body.subarray(offset, end));
      offset = end;
    }
    return body;
  }

  #element(fieldNumber: number, record: Rec): Uint8Array {
    let data = this.#encoded.get(record);
    if (data === undefined) {
      const prepared = this.elements.prepare(record);
      data = new Uint8Array(fieldLength(fieldNumber, prepared.length));
      writeElement(data, 0, fieldNumber, prepared);
      this.#encoded.set(record, data);
    }
    return data;
  }
}

/** Writes an element (encoded already, or prepared: then with its tag and length) at `offset`; returns the end. */
function writeElement(
  target: Uint8Array,
  offset: number,
  fieldNumber: number,
  element: Uint8Array | PreparedElement,
): number {
  if (element instanceof Uint8Array) {
    target.set(element, offset);
    return offset + element.length;
  }
  const start = writeFieldHeader(target, offset, fieldNumber, element.length);
  element.writeTo(target, start);
  return start + element.length;
}

function sameRecords<Rec>(a: readonly Rec[], b: readonly Rec[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const tags = new Map<number, Uint8Array>();

function tagBytes(fieldNumber: number): Uint8Array {
  let tag = tags.get(fieldNumber);
  if (tag === undefined) {
    tag = new BinaryWriter().tag(fieldNumber, WireType.LengthDelimited).finish();
    tags.set(fieldNumber, tag);
  }
  return tag;
}
