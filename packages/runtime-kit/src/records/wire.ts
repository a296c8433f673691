// The few protobuf wire-format writes the List encoders make into a buffer they sized themselves.
import { WireType } from "@bufbuild/protobuf/wire";

/** A message (or an element) that knows its encoded length and writes itself where it is told. */
export interface PreparedElement {
  readonly length: number;
  writeTo(target: Uint8Array, offset: number): void;
}

export function varintLength(value: number): number {
  let bytes = 1;
  for (let v = value >>> 7; v !== 0; v >>>= 7) bytes += 1;
  return bytes;
}

/** Writes `value` (< 2^32) as a varint at `offset`; returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let v = value >>> 0;
  while (v > 0x7f) {
    target[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  target[offset++] = v;
  return offset;
}

/** A length-delimited field's size: its tag, the varint of its length, the bytes. */
export function fieldLength(fieldNumber: number, length: number): number {
  return varintLength(tagOf(fieldNumber)) + varintLength(length) + length;
}

/** Writes a length-delimited field's tag and length at `offset`; returns the offset of its bytes. */
export function writeFieldHeader(
  target: Uint8Array,
  offset: number,
  fieldNumber: number,
  length: number,
): number {
  return writeVarint(target, writeVarint(target, offset, tagOf(fieldNumber)), length);
}

function tagOf(fieldNumber: number): number {
  return ((fieldNumber << 3) | WireType.LengthDelimited) >>> 0;
}
