import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Codec } from "@iri/store";

/** Stores a protobuf message as its binary encoding, which is what makes List echo requests byte-for-byte. */
export function protoCodec<Desc extends DescMessage>(schema: Desc): Codec<MessageShape<Desc>> {
  return {
    encode: (value) => toBinary(schema, value),
    decode: (bytes) => fromBinary(schema, bytes),
    messageBytes: (stored) => stored,
    messageLength: (stored) => stored.length,
  };
}
