import { readFileSync, statSync } from "node:fs";
// Command-line flags with environment fallbacks, declared once per app so that `--help` and the README agree.

import type { SettingDefinition, SettingDefinitions, SettingValues } from "@iri/backend-api";

export type { SettingDefinition, SettingValues } from "@iri/backend-api";

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/**
 * Precedence: flag, then environment variable, then default. Unknown flags are errors. A repeated flag: the last
 * one wins, except for a `stringList`, which collects every occurrence.
 */
export function parseSettings<Defs extends SettingDefinitions>(
  definitions: Defs,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): SettingValues<Defs> {
  const byFlag = new Map<string, [string, SettingDefinition]>();
  for (const [key, def] of Object.entries(definitions)) byFlag.set(def.flag, [key, def]);

  const fromFlags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m?.[1]) throw new SettingsError(`unexpected argument ${JSON.stringify(arg)}`);
    const entry = byFlag.get(m[1]);
    if (!entry) throw new SettingsError(`unknown flag --${m[1]}`);
    let value = m[2];
    if (value === undefined) {
      if (entry[1].kind === "boolean" && (argv[i + 1] === undefined || argv[i + 1]?.startsWith("--"))) {
        value = "true";
      } else {
        value = argv[++i];
        if (value === undefined) throw new SettingsError(`flag --${m[1]} needs a value`);
      }
    }
    fromFlags.set(entry[0], [...(fromFlags.get(entry[0]) ?? []), value]);
  }

  const values: Record<string, string | number | boolean | readonly string[]> = {};
  for (const [key, def] of Object.entries(definitions)) {
    const given = fromFlags.get(key) ?? [env[def.env] ?? def.default];
    values[key] =
      def.kind === "stringList"
        ? given.flatMap((v) => v.split(",")).filter((v) => v !== "")
        : convert(def, given.at(-1) ?? "");
  }
  return values as SettingValues<Defs>;
}

function convert(def: SettingDefinition, raw: string): string | number | boolean {
  switch (def.kind) {
    case "string":
    case "stringList": // not reached: parseSettings splits lists itself
      return raw;
    case "integer": {
      if (!/^-?\d+$/.test(raw))
        throw new SettingsError(`--${def.flag} (${def.env}) must be an integer, got ${JSON.stringify(raw)}`);
      const value = Number(raw);
      if (def.min !== undefined && value < def.min)
        throw new SettingsError(`--${def.flag} (${def.env}) must be at least ${def.min}, got ${value}`);
      return value;
    }
    case "secretFile":
      return readSecretFile(def, raw);
    case "octal": {
      if (!/^0?[0-7]{3,4}$/.test(raw))
        throw new SettingsError(
          `--${def.flag} (${def.env}) must be an octal mode like 0660, got ${JSON.stringify(raw)}`,
        );
      return Number.parseInt(raw, 8);
    }
    case "boolean": {
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0" || raw === "") return false;
      throw new SettingsError(`--${def.flag} (${def.env}) must be true or false, got ${JSON.stringify(raw)}`);
    }
  }
}

/** The `--help` text: one block per setting with its environment variable and default. */
export function settingsHelp(program: string, definitions: SettingDefinitions): string {
  const lines = [`Usage: ${program} [flags]`, ""];
  for (const def of Object.values(definitions)) {
    lines.push(`  --${def.flag} <${def.kind}>   env ${def.env}, default ${JSON.stringify(def.default)}`);
    lines.push(`      ${def.description}`);
  }
  return lines.join("\n");
}

/**
 * A secret setting names a file; its content is the value. The file must not be readable by others: a key
 * that anyone on the host can read is refused rather than used.
 */
function readSecretFile(def: SettingDefinition, path: string): string {
  if (path === "") return "";
  let content: string;
  try {
    if ((statSync(path).mode & 0o004) !== 0) {
      throw new SettingsError(`--${def.flag} (${def.env}): ${path} is readable by everyone; chmod it 0600`);
    }
    content = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof SettingsError) throw err;
    throw new SettingsError(`--${def.flag} (${def.env}): cannot read ${path}: ${(err as Error).message}`);
  }
  return content.endsWith("\n") ? content.slice(0, -1) : content;
}
