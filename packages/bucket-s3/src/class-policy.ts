import { type BucketClassConfig, PermanentBackendError } from "@iri/backend-api";

/** What a bucket class asks of the object store, read from the class file's `settings`. */
export interface ClassPolicy {
  /** Hard limit on the bucket's bytes; 0: none. */
  readonly maxBytes: number;
  /** Hard limit on the bucket's objects; 0: none. */
  readonly maxObjects: number;
  /** Whether deleting a bucket that still holds objects removes them (otherwise the delete waits). */
  readonly purgeOnDelete: boolean;
}

const KNOWN = new Set(["maxBytes", "maxObjects", "purgeOnDelete"]);

/** Reads a class's settings; a mistake in the class file is permanent for the buckets of that class. */
export function classPolicyOf(cls: BucketClassConfig): ClassPolicy {
  const settings = cls.settings;
  const unknown = Object.keys(settings).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) {
    throw invalid(cls, `unknown setting ${unknown.join(", ")} (known: ${[...KNOWN].join(", ")})`);
  }
  const purge = settings.purgeOnDelete ?? false;
  if (typeof purge !== "boolean") throw invalid(cls, "purgeOnDelete must be true or false");
  return {
    maxBytes: limit(cls, "maxBytes", settings.maxBytes),
    maxObjects: limit(cls, "maxObjects", settings.maxObjects),
    purgeOnDelete: purge,
  };
}

function limit(cls: BucketClassConfig, key: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(cls, `${key} must be a non-negative integer (0: no limit)`);
  }
  return value;
}

function invalid(cls: BucketClassConfig, what: string): PermanentBackendError {
  return new PermanentBackendError("InvalidBucketClass", `bucket class ${cls.name}: ${what}`);
}
