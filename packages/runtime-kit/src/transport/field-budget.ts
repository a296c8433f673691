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
  const left = countFields(schema, new BinaryReader(bytes), budget);
  if (left < 0) {
    throw new ConnectError(
      `the request has more than ${budget} fields (labels, map entries and list elements count)`,
      Code.InvalidArgument,
    );
  }
}

/** Returns the budget left (negative: exceeded). Malformed bytes end the walk: decoding will report them. */
function countFields(schema: DescMessage, reader: BinaryReader, budget: number): number {
  let left = budget;
  try {
    while (reader.pos < reader.len && left >= 0) {
      const [number, wireType] = reader.tag();
      left--;
      const field = schema.fields.find((f) => f.number === number);
      const sub = field && wireType === WireType.LengthDelimited ? subMessage(field) : undefined;
      if (sub === undefined) {
        reader.skip(wireType, number);
        continue;
      }
      left = countFields(sub, new BinaryReader(reader.bytes()), left);
    }
  } catch {
    return left;
  }
  return left;
}

/** The message type a length-delimited field holds, if it holds one (maps count per entry only). */
function subMessage(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}
