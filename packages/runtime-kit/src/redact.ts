// Secrets reach a provider in requests (ignition, volume keys, Ceph user keys) and in backend answers (S3 and
// admin credentials). Logs are shipped and kept far longer than any secret should live, so everything logged
// goes through here first: values under secret-bearing keys are replaced, at any depth.

export const REDACTED = "[redacted]";

/**
 * Normalised key names (lowercase, without `_` and `-`) whose values are always secret.
 * Access key ids (`AWS_ACCESS_KEY_ID`, MinIO `accessKey`) are deliberately not here: they are identifiers that
 * travel in clear in every signed S3 request, and seeing them in logs is what makes credential problems
 * debuggable. Their secret halves are (`secretaccesskey`, `secretkey`).
 */
const SECRET_KEYS = new Set([
  "secretdata",
  "encryptiondata",
  "ignitiondata",
  "userkey",
  "key",
  "keyring",
  "apikey",
  "authorization",
  "cookie",
  "credentials",
]);

/** Normalised suffixes that mark a key as secret wherever they end it (`adminPassword`, `sessionToken`, …). */
const SECRET_SUFFIXES = [
  "password",
  "passphrase",
  "secret",
  "token",
  "secretkey",
  "secretaccesskey",
  "privatekey",
  "encryptionkey",
];

const MAX_DEPTH = 32;

export function isSecretKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[-_]/g, "");
  if (SECRET_KEYS.has(normalised)) return true;
  return SECRET_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

/**
 * Returns a deep copy of `value` fit for a log line: values under secret-bearing keys become "[redacted]",
 * binary values become "[N bytes]" (raw bytes are never useful in a log and may be key material), errors become
 * plain `{type, message, stack, …}` objects, cycles become "[circular]". Strings are copied as they are: a
 * secret written into free text cannot be recognised by its key (see `scrubSecretValues`).
 */
export function redactSecrets(value: unknown): unknown {
  return copy(value, new WeakSet(), 0);
}

function copy(value: unknown, ancestors: WeakSet<object>, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  if (ancestors.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => copy(item, ancestors, depth + 1));
    if (value instanceof Map) return copyEntries(value.entries(), ancestors, depth);
    if (value instanceof Set) return [...value].map((item) => copy(item, ancestors, depth + 1));
    const out = copyEntries(Object.entries(value), ancestors, depth);
    if (value instanceof Error) {
      // The shape pino's own error serializer produces, so log consumers see errors the same way.
      return {
        type: value.name,
        message: value.message,
        stack: value.stack,
        ...out,
        ...(value.cause === undefined ? {} : { cause: copy(value.cause, ancestors, depth + 1) }),
      };
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

function copyEntries(
  entries: Iterable<[unknown, unknown]>,
  ancestors: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, item] of entries) {
    const key = String(rawKey);
    out[key] = isSecretKey(key) ? REDACTED : copy(item, ancestors, depth + 1);
  }
  return out;
}

/** Shortest secret value that `scrubSecretValues` looks for; shorter ones would blank out ordinary words. */
const MIN_SCRUB_LENGTH = 4;

/**
 * Collects the values stored under secret-bearing keys anywhere in `value` (e.g. a request message), in the
 * textual forms they could take in an error message: as they are, UTF-8 decoded, base64, base64url and hex.
 * Used to scrub free text (error messages, stacks) that belongs to one call.
 */
export function collectSecretValues(value: unknown): string[] {
  const found = new Set<string>();
  walk(value, false, new WeakSet(), 0, found);
  return [...found].filter((s) => s.length >= MIN_SCRUB_LENGTH).sort((a, b) => b.length - a.length);
}

function walk(
  value: unknown,
  secret: boolean,
  seen: WeakSet<object>,
  depth: number,
  found: Set<string>,
): void {
  if (value === null || value === undefined || depth > MAX_DEPTH) return;
  if (typeof value === "string") {
    if (secret) addForms(found, Buffer.from(value, "utf8"), value);
    return;
  }
  if (typeof value !== "object") return;
  if (value instanceof Uint8Array) {
    if (secret) addForms(found, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  for (const [key, item] of entries) walk(item, secret || isSecretKey(String(key)), seen, depth + 1, found);
}

function addForms(found: Set<string>, bytes: Buffer, text?: string): void {
  const utf8 = text ?? bytes.toString("utf8");
  if (!utf8.includes("\uFFFD")) found.add(utf8);
  const base64 = bytes.toString("base64");
  found.add(base64);
  found.add(base64.replace(/=+$/, ""));
  found.add(bytes.toString("base64url"));
  found.add(bytes.toString("hex"));
}

/** Replaces every occurrence of the given values (longest first) in `text` by "[redacted]". */
export function scrubSecretValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}
