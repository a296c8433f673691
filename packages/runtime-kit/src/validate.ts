import { invalidArgument } from "./errors.js";
import { isValidId } from "./ids.js";

// Request checks for handlers. Each throws InvalidArgument naming the field path (e.g. "machine.spec.class"),
// so a poollet operator can tell from the Kubernetes event which input was wrong.

export function requireNonEmpty(value: string | undefined, field: string): string {
  if (value === undefined || value === "") throw invalidArgument(`${field} is required`);
  return value;
}

/** For sub-messages the consumer may omit (proto3 leaves them undefined). */
export function requirePresent<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null) throw invalidArgument(`${field} is required`);
  return value;
}

export function requireValidId(value: string | undefined, field: string): string {
  const id = requireNonEmpty(value, field);
  if (!isValidId(id)) {
    throw invalidArgument(
      `${field} ${JSON.stringify(id)} is not a valid id (lowercase alphanumerics and '-', at most 63)`,
    );
  }
  return id;
}

/** Label and annotation maps: keys must be non-empty. Values are free-form (an empty value is a value). */
export function validateStringMap(map: Readonly<Record<string, string>> | undefined, field: string): void {
  if (map === undefined) return;
  for (const key of Object.keys(map)) {
    if (key === "") throw invalidArgument(`${field} has an empty key`);
  }
}
