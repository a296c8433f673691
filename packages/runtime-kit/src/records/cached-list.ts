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
 * encodings. A body that a newer one replaced is released (its memory freed at once, not at V8's next full
 * collection) as soon as no response is being written from it: while 10,000 machines converge, each List
 * left a dead 10.9 MiB body that V8 kept until its external memory grew by ~64 MiB.
 */
export class CachedListEncoder<Rec extends object, Desc extends DescMessage> {
  /** Per record version: its element bytes (tag, length, message), usually a view into `#body`. */
  readonly #encoded = new WeakMap<Rec, Uint8Array>();
  #lastRecords: readonly Rec[] = [];
  /** The last whole List response: length prefix, then the body. */
  #enveloped: Uint8Array = new Uint8Array(ENVELOPE_BYTES);
  /** Per body: the responses the transport is still writing from it. */
  readonly #sending = new Map<Uint8Array, number>();
  /** Bodies handed to a response message (fill): connect holds them as long as it likes; never released. */
  readonly #lent = new WeakSet<Uint8Array>();

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
    let body: Uint8Array;
    if (whole) {
      const enveloped = this.#wholeEnveloped(fieldNumber, records);
      this.#lent.add(enveloped);
      body = enveloped.subarray(ENVELOPE_BYTES);
    } else {
      body = this.#concat(fieldNumber, records, 0);
    }
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
    if (whole && records.length > 0) {
      const enveloped = this.#wholeEnveloped(fieldNumber, records);
      if (answerPrepared(context, enveloped, () => this.#closed(enveloped))) {
        this.#sending.set(enveloped, (this.#sending.get(enveloped) ?? 0) + 1);
        return response;
      }
    }
    return this.fill(response, fieldNumber, records, whole);
  }

  /** A response written from `enveloped` is done; a replaced body with none left is released. */
  #closed(enveloped: Uint8Array): void {
    const left = (this.#sending.get(enveloped) ?? 1) - 1;
    if (left > 0) {
      this.#sending.set(enveloped, left);
      return;
    }
    this.#sending.delete(enveloped);
    if (enveloped !== this.#enveloped && !this.#lent.has(enveloped)) release(enveloped);
  }

  #wholeEnveloped(fieldNumber: number, records: readonly Rec[]): Uint8Array {
    if (!sameRecords(records, this.#lastRecords)) {
      const previous = this.#enveloped;
      const enveloped = this.#concat(fieldNumber, records, ENVELOPE_BYTES);
      new DataView(enveloped.buffer, enveloped.byteOffset).setUint32(1, enveloped.length - ENVELOPE_BYTES);
      this.#enveloped = enveloped;
      this.#lastRecords = records.slice();
      // Every element of the new body was copied (or written) into it: the previous body serves no record.
      if (!this.#sending.has(previous) && !this.#lent.has(previous)) release(previous);
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
      whole ? (this.#earlier(record) ?? this.elements.prepare(record)) : this.#element(fieldNumber, record),
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

  /** A record's element from an earlier List, unless the body it was a view into has been released. */
  #earlier(record: Rec): Uint8Array | undefined {
    const data = this.#encoded.get(record);
    // A released body's views read as empty; an element never is (it has at least its tag and length).
    return data === undefined || data.byteLength === 0 ? undefined : data;
  }

  #element(fieldNumber: number, record: Rec): Uint8Array {
    let data = this.#earlier(record);
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

/**
 * Frees a body's memory now: transferring its ArrayBuffer detaches it (every view reads as empty) and drops
 * its backing store, which V8 would otherwise free only when a full collection finds the buffer dead.
 */
function release(enveloped: Uint8Array): void {
  (enveloped.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
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
