import { invalidArgument } from "./errors.js";
import { isValidId } from "./ids.js";

// Request checks for handlers. Each throws InvalidArgument naming the field path (e.g. "machine.spec.class"),
// so a poollet operator can tell from the Kubernetes event which input was wrong.

/**
 * Per-field limits, modelled on Kubernetes' object limits (docs/decisions.md, "Request limits"). With the
 * transport's 4 MiB receive limit they keep every object small enough that a List of many still fits a
 * poollet's 4 MiB, and every check linear in the size of what it checks.
 */
export const LIMITS = {
  /** Labels per object and pairs per label selector; Kubernetes has none, the poollets send 3 plus downward ones. */
  labelCount: 64,
  /** Kubernetes allows 63 characters; IRI labels carry Kubernetes object names (up to 253) as values. */
  labelValueBytes: 1024,
  /** Kubernetes' TotalAnnotationSizeLimitB: keys and values together. */
  annotationBytes: 256 * 1024,
  /** Keys and values together, for a free-form attribute map (NIC and volume-connection attributes). */
  attributeBytes: 256 * 1024,
  /** A Kubernetes Secret holds at most 1 MiB, and the poollet reads the ignition from one. */
  ignitionBytes: 1024 * 1024,
  /** Any id a caller names; generated ids are 63 characters. */
  idBytes: 63,
  /** A disk or volume size: one pebibyte, beyond any disk a host or pool backs; int64-max is no size. */
  diskBytes: 2n ** 50n,
} as const;

/** Kubernetes qualified name: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
const QUALIFIED_NAME =
  /^(?:([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const MAX_PREFIX = 253;
const MAX_NAME = 63;

export function requireNonEmpty(value: string | undefined, field: string): string {
  if (value === undefined || value === "") throw invalidArgument(`${field} is required`);
  return value;
}

export function requireValidId(value: string | undefined, field: string): string {
  const id = requireNonEmpty(value, field);
  if (!isValidId(id)) {
    throw invalidArgument(
      `${field} ${quote(id)} is not a valid id (lowercase alphanumerics and '-', at most 63)`,
    );
  }
  return id;
}

/** An id the caller refers to (it need not exist): bounded, so that it can be named in a message. */
export function requireIdLength(value: string, field: string): void {
  if (value.length > LIMITS.idBytes) {
    throw invalidArgument(`${field} is ${value.length} characters long; ids have at most ${LIMITS.idBytes}`);
  }
}

/** Free-form maps (attributes): keys must be non-empty, and the whole map is bounded. */
export function validateStringMap(map: Readonly<Record<string, string>> | undefined, field: string): void {
  if (map === undefined) return;
  for (const key of Object.keys(map)) {
    if (key === "") throw invalidArgument(`${field} has an empty key`);
  }
  requireMapBytesAtMost(map, LIMITS.attributeBytes, field);
}

/** Object labels and label selectors: Kubernetes qualified-name keys, bounded values and count. */
export function validateLabels(map: Readonly<Record<string, string>> | undefined, field: string): void {
  if (map === undefined) return;
  const keys = Object.keys(map);
  if (keys.length > LIMITS.labelCount) {
    throw invalidArgument(`${field} has ${keys.length} entries; at most ${LIMITS.labelCount} are allowed`);
  }
  for (const key of keys) {
    requireQualifiedName(key, field);
    const value = map[key] as string;
    if (Buffer.byteLength(value) > LIMITS.labelValueBytes) {
      throw invalidArgument(
        `${field}[${quote(key)}]: the value is longer than ${LIMITS.labelValueBytes} bytes`,
      );
    }
  }
}

/** Object annotations: Kubernetes qualified-name keys; keys and values together at most 256 KiB. */
export function validateAnnotations(map: Readonly<Record<string, string>> | undefined, field: string): void {
  if (map === undefined) return;
  for (const key of Object.keys(map)) requireQualifiedName(key, field);
  requireMapBytesAtMost(map, LIMITS.annotationBytes, field);
}

function requireQualifiedName(key: string, field: string): void {
  const match = key.length <= MAX_PREFIX + 1 + MAX_NAME ? QUALIFIED_NAME.exec(key) : null;
  const prefix = match?.[1] ?? "";
  const name = match?.[2] ?? "";
  if (match === null || prefix.length > MAX_PREFIX || name.length > MAX_NAME) {
    throw invalidArgument(
      `${field}: key ${quote(key)} is not a qualified name (an optional DNS subdomain prefix and '/', ` +
        "then at most 63 alphanumerics, '-', '_' or '.', alphanumeric at both ends)",
    );
  }
}

function requireMapBytesAtMost(map: Readonly<Record<string, string>>, limit: number, field: string): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(map)) {
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    if (bytes > limit) throw invalidArgument(`${field} is larger than ${limit} bytes (keys and values)`);
  }
}

/** A value for a message: JSON-quoted, and cut, so that a hostile value cannot make the message large. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}
