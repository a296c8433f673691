import type { SettingDefinitions, SettingValues } from "@iri/backend-api";

/** Every setting at its default, parsed as the provider's flag parser would. */
export function defaultSettings<Defs extends SettingDefinitions>(defs: Defs): SettingValues<Defs> {
  const values: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(defs)) {
    values[key] =
      def.kind === "integer"
        ? Number(def.default)
        : def.kind === "octal"
          ? Number.parseInt(def.default, 8)
          : def.kind === "boolean"
            ? def.default === "true"
            : def.default;
  }
  return values as SettingValues<Defs>;
}
