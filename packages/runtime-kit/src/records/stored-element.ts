import { type DescMessage, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { meta } from "@iri/api";
import { messageBytesOf, messageLengthOf, type StoredRecord } from "@iri/store";
import { toObjectMetadata } from "./object-metadata.js";
import { fieldLength, type PreparedElement, writeFieldHeader } from "./wire.js";

/** The three fields of every IRI object (Machine, Volume, VolumeSnapshot, Bucket), in this order. */
const PARTS = ["metadata", "spec", "status"] as const;

export interface StoredElementOptions<Rec> {
  /** The metadata as listed; default toObjectMetadata of the record's. */
  metadata?: (record: Rec) => meta.ObjectMetadata;
  /** Top-level fields of the stored spec that are never listed (a volume's passphrase). */
  omitSpecFields?: readonly number[];
}

/** Writes an IRI object's encoding from a stored record: what a List element and its size are made of. */
export interface StoredElement<Rec> {
  /** The object ready to be written into a buffer the caller sizes (a List body), not into one of its own. */
  prepare(record: Rec): PreparedElement;
  /** The length of its encoding, from the stored lengths (nothing encoded but the metadata). */
  length(record: Rec): number;
}

/**
 * An IRI object (`schema`: metadata, spec, status) written from a stored record without decoding it: the
 * metadata is encoded, spec and status are the stored protobuf bytes spliced in as they are (unsealed
 * when sealed). Decoding 10,000 specs and statuses to encode them again is what made the first List of a
 * large pool the provider's peak of memory and CPU. The bytes are those of `toBinary(schema, object)`:
 * protobuf-es writes the fields in this order and a message field as its tag, length and encoding, and the
 * stored bytes are what it wrote for the same spec and status. A record whose codec does not store protobuf
 * (or that did not come from a store) is encoded from its decoded values.
 */
export function storedElement<Spec, Status>(
  schema: DescMessage,
  options: StoredElementOptions<StoredRecord<Spec, Status>> = {},
): StoredElement<StoredRecord<Spec, Status>> {
  type Rec = StoredRecord<Spec, Status>;
  const fields = PARTS.map((name, i) => {
    const field = schema.fields[i];
    if (field?.name !== name || field.fieldKind !== "message" || schema.fields.length !== PARTS.length) {
      throw new Error(`${schema.typeName} is not an IRI object of metadata, spec and status`);
    }
    return field;
  });
  const [metadataField, specField, statusField] = fields as [
    (typeof fields)[number],
    (typeof fields)[number],
    (typeof fields)[number],
  ];
  const metadataOf = options.metadata ?? ((record: Rec) => toObjectMetadata(record.metadata));
  const omitted = new Set(options.omitSpecFields ?? []);

  const metadataBytes = (record: Rec) => toBinary(meta.ObjectMetadataSchema, metadataOf(record));
  const specBytes = (record: Rec) => {
    const bytes = messageBytesOf(record, "spec") ?? toBinary(specField.message, record.spec as never);
    return omitted.size === 0 ? bytes : withoutFields(bytes, omitted);
  };
  const statusBytes = (record: Rec) =>
    messageBytesOf(record, "status") ?? toBinary(statusField.message, record.status as never);

  const prepare = (record: Rec): PreparedElement => {
    const parts = [
      [metadataField.number, metadataBytes(record)],
      [specField.number, specBytes(record)],
      [statusField.number, statusBytes(record)],
    ] as const;
    return {
      length: parts.reduce((sum, [no, bytes]) => sum + fieldLength(no, bytes.length), 0),
      writeTo(target, offset) {
        let at = offset;
        for (const [no, bytes] of parts) {
          at = writeFieldHeader(target, at, no, bytes.length);
          target.set(bytes, at);
          at += bytes.length;
        }
      },
    };
  };

  return {
    prepare,
    length(record) {
      const specLength = omitted.size === 0 ? messageLengthOf(record, "spec") : undefined;
      const statusLength = messageLengthOf(record, "status");
      return (
        fieldLength(metadataField.number, metadataBytes(record).length) +
        fieldLength(specField.number, specLength ?? specBytes(record).length) +
        fieldLength(statusField.number, statusLength ?? statusBytes(record).length)
      );
    },
  };
}

/** A message's encoding without the top-level fields `omit`: the others' bytes in their order. */
function withoutFields(bytes: Uint8Array, omit: ReadonlySet<number>): Uint8Array {
  const reader = new BinaryReader(bytes);
  const kept: Uint8Array[] = [];
  let dropped = false;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    reader.skip(wireType, fieldNo);
    if (omit.has(fieldNo)) dropped = true;
    else kept.push(bytes.subarray(start, reader.pos));
  }
  if (!dropped) return bytes;
  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
