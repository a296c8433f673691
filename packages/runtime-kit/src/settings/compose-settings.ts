import type { SettingDefinition, SettingDefinitions } from "@iri/backend-api";
import type { AnyBackendFactory } from "../backend/open-backend.js";

/**
 * An app's settings: its own, then each backend's in the order the factories are listed, every backend
 * environment variable under the app's `envPrefix` (a backend names its variables without it, so the same
 * backend can serve any app). Two settings sharing a key, a flag or an environment variable are a mistake in
 * the code, not in the configuration: it throws when the app's module loads.
 *
 * Typed as the app's own settings: the app reads only those, and the host's `openBackend` hands each backend
 * the values of its own keys.
 */
export function composeSettings<App extends SettingDefinitions>(
  app: App,
  factories: readonly AnyBackendFactory<unknown>[],
  envPrefix: string,
): App {
  const composed: Record<string, SettingDefinition> = { ...app };
  const owners = new Map<string, string>();
  const claim = (name: string, owner: string) => {
    const other = owners.get(name);
    if (other !== undefined) throw new Error(`settings: ${other} and ${owner} both declare ${name}`);
    owners.set(name, owner);
  };
  for (const [key, def] of Object.entries(app)) {
    claim(`setting ${key}`, "the app");
    claim(`--${def.flag}`, "the app");
    claim(def.env, "the app");
  }
  for (const factory of factories) {
    const owner = `backend ${factory.name}`;
    for (const [key, def] of Object.entries(factory.settings as SettingDefinitions)) {
      const env = `${envPrefix}${def.env}`;
      claim(`setting ${key}`, owner);
      claim(`--${def.flag}`, owner);
      claim(env, owner);
      composed[key] = { ...def, env };
    }
  }
  return composed as App;
}
