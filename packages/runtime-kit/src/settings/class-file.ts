import { readFileSync } from "node:fs";

/** One entry of a volume or bucket class file: IRI capabilities plus backend settings. */
export interface ClassEntry {
  readonly name: string;
  readonly tps: bigint;
  readonly iops: bigint;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** One raw entry of a class file, with its name checked and its position for error messages. */
export interface RawClassEntry {
  readonly name: string;
  readonly capabilities: unknown;
  readonly settings: unknown;
  /** e.g. "classes.json[2]". */
  readonly where: string;
}

/**
 * Reads a class file: a non-empty JSON array of objects with unique non-empty names, each handed to `parse`
 * for its runtime-specific part. Throws a readable Error naming the file and entry.
 */
export function readClassFile<T>(path: string, parse: (entry: RawClassEntry) => T): T[] {
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${path}: expected a non-empty JSON array`);
  const seen = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const where = `${path}[${i}]`;
    if (typeof entry !== "object" || entry === null) throw new Error(`${where}: expected an object`);
    const { name, capabilities, settings } = entry as {
      name?: unknown;
      capabilities?: unknown;
      settings?: unknown;
    };
    if (typeof name !== "string" || name === "")
      throw new Error(`${where}.name: expected a non-empty string`);
    if (seen.has(name)) throw new Error(`${where}.name: duplicate class ${JSON.stringify(name)}`);
    seen.add(name);
    return parse({ name, capabilities, settings, where });
  });
}

/** Reads a volume or bucket class file: entries {name, capabilities: {tps, iops}, settings?}. */
export function loadClassFile(path: string): ClassEntry[] {
  return readClassFile(path, ({ name, capabilities, settings, where }) => {
    const caps = (capabilities ?? {}) as { tps?: unknown; iops?: unknown };
    const count = (value: unknown, field: string): bigint => {
      if (value === undefined) return 0n;
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        throw new Error(`${where}.capabilities.${field}: expected a non-negative integer`);
      }
      return BigInt(value as number);
    };
    if (settings !== undefined && (typeof settings !== "object" || settings === null)) {
      throw new Error(`${where}.settings: expected an object`);
    }
    return {
      name,
      tps: count(caps.tps, "tps"),
      iops: count(caps.iops, "iops"),
      settings: (settings ?? {}) as Record<string, unknown>,
    };
  });
}
