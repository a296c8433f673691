// Command-line flags with environment fallbacks. Declared here, next to the contract, so that a backend
// package can declare its own settings without depending on the provider kit that parses them.

/**
 * - `string`, `integer`, `boolean`, `octal` (a file mode such as 0660): the value as given.
 * - `secretFile`: the value is a file path; the setting resolves to the file's content (one trailing newline
 *   dropped), so that keys never sit in argv or the environment. An empty path resolves to "".
 * - `stringList`: the flag may be repeated; every occurrence, the environment variable and the default are
 *   comma-separated lists, joined. Empty elements are dropped, so "" is the empty list.
 */
export type SettingKind = "string" | "integer" | "boolean" | "octal" | "secretFile" | "stringList";

export interface SettingDefinition {
  /** Flag name without dashes, e.g. "socket-path". */
  readonly flag: string;
  /**
   * Environment variable read when the flag is absent. A backend names it without the app's prefix
   * (`CEPH_MONITORS`); the app composes it under its own (`IRI_VOLUME_PROVIDER_CEPH_MONITORS`).
   */
  readonly env: string;
  readonly kind: SettingKind;
  readonly default: string;
  readonly description: string;
  /** Integers only: the smallest value accepted (a bad value exits 2 like any bad flag). */
  readonly min?: number;
}

export type SettingDefinitions = Record<string, SettingDefinition>;

export type SettingValues<Defs extends SettingDefinitions> = {
  [K in keyof Defs]: Defs[K]["kind"] extends "integer" | "octal"
    ? number
    : Defs[K]["kind"] extends "boolean"
      ? boolean
      : Defs[K]["kind"] extends "stringList"
        ? readonly string[]
        : string;
};
