import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";

// Decoding a protobuf message costs per field: 4 MiB of one-byte label entries is ~240,000 map entries and
// holds the event loop for most of a second in protobuf-es, before any validation can look at them. A wire
// walk that only reads tags and skips lengths is an order of magnitude cheaper, and stops at the budget.

/**
 * Fields a request may carry, at every depth (map entries and list elements each count). Far above anything
 * a poollet sends (64 labels, 64 volumes, 32 NICs and their attributes come to a few thousand).
 */
export const MAX_REQUEST_FIELDS = 10_000;

/**
 * Throws InvalidArgument when `bytes`, a `schema` message, has more than `budget` fields in all. A
 * ConnectError, not a ProviderError: it is raised while connect reads the body, outside the interceptor.
 */
export function requireFieldBudget(
  schema: DescMessage,
  bytes: Uint8Array,
  budget = MAX_REQUEST_FIELDS,
): void {
  const reader = new BinaryReader(bytes);
  const left = countFields(schema, reader, reader.len, budget);
  if (left < 0) {
    throw new ConnectError(
      `the request has more than ${budget} fields (labels, map entries and list elements count)`,
      Code.InvalidArgument,
    );
  }
}

/**
 * Returns the budget left (negative: exceeded) after the fields up to `end`. One reader walks every depth (a
 * sub-message is the range its length covers), so that the walk allocates nothing per field. Malformed bytes
 * end the walk: decoding will report them.
 */
function countFields(schema: DescMessage, reader: BinaryReader, end: number, budget: number): number {
  let left = budget;
  const subMessages = subMessagesOf(schema);
  try {
    while (reader.pos < end && left >= 0) {
      const [number, wireType] = reader.tag();
      left--;
      const sub = wireType === WireType.LengthDelimited ? subMessages.get(number) : undefined;
      if (sub === undefined) {
        reader.skip(wireType, number);
        continue;
      }
      const length = reader.uint32();
      const subEnd = reader.pos + length;
      if (subEnd > end) return left;
      left = countFields(sub, reader, subEnd, left);
      reader.pos = subEnd;
    }
  } catch {
    return left;
  }
  return left;
}

const subMessagesBySchema = new WeakMap<DescMessage, Map<number, DescMessage>>();

/** The message types a schema's length-delimited fields hold, by field number (maps count per entry only). */
function subMessagesOf(schema: DescMessage): Map<number, DescMessage> {
  let known = subMessagesBySchema.get(schema);
  if (known === undefined) {
    known = new Map();
    for (const field of schema.fields) {
      const sub = subMessage(field);
      if (sub !== undefined) known.set(field.number, sub);
    }
    subMessagesBySchema.set(schema, known);
  }
  return known;
}

/** The message type a length-delimited field holds, if it holds one (maps count per entry only). */
function subMessage(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}
