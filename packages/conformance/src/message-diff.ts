// Names the fields in which two messages differ, for failure reasons. Values of secret-bearing fields are never
// printed (secret_data, encryption_data, ignition_data), only that they differ.
import { type DescMessage, type JsonValue, type MessageShape, toJson } from "@bufbuild/protobuf";

const SECRET_FIELD = /secret|encryption|ignition|passphrase|password|token|userkey/i;
const MAX_REPORTED = 3;

export function describeDifference(
  schema: DescMessage,
  expected: object | undefined,
  actual: object | undefined,
): string {
  const differences: string[] = [];
  diffJson(
    expected === undefined ? null : toJson(schema, expected as MessageShape<DescMessage>),
    actual === undefined ? null : toJson(schema, actual as MessageShape<DescMessage>),
    "",
    false,
    differences,
  );
  if (differences.length === 0) return "no difference in JSON form (bytes differ, e.g. map or field order)";
  const shown = differences.slice(0, MAX_REPORTED).join("; ");
  const more = differences.length - MAX_REPORTED;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

function diffJson(a: JsonValue, b: JsonValue, path: string, secret: boolean, out: string[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      diffJson(
        a[key] ?? null,
        b[key] ?? null,
        path ? `${path}.${key}` : key,
        secret || SECRET_FIELD.test(key),
        out,
      );
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (const [i, item] of a.entries()) diffJson(item, b[i] ?? null, `${path}[${i}]`, secret, out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push(
    secret ? `${path || "(root)"} differs` : `${path || "(root)"}: expected ${show(a)}, got ${show(b)}`,
  );
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: JsonValue): string {
  if (value === null) return "unset";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
