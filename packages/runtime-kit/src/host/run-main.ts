import type { Logger } from "../logging.js";
import {
  parseSettings,
  type SettingDefinition,
  SettingsError,
  type SettingValues,
  settingsHelp,
} from "../settings/settings.js";
import { onShutdownSignal } from "../shutdown.js";

/**
 * The whole of an app's main(): parse flags and env, start, stop on SIGTERM/SIGINT. Bad settings exit 2
 * with the reason; a failure to start exits 1.
 */
export function runMain<Defs extends Record<string, SettingDefinition>>(
  program: string,
  definitions: Defs,
  start: (settings: SettingValues<Defs>) => Promise<{ logger: Logger; close(): Promise<void> }>,
): void {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${settingsHelp(program, definitions)}\n`);
    return;
  }
  let settings: SettingValues<Defs>;
  try {
    settings = parseSettings(definitions, argv, process.env);
  } catch (err) {
    process.stderr.write(`${program}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  start(settings).then(
    (running) => onShutdownSignal(() => running.close(), running.logger),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${program}: ${message}\n`);
      process.exit(err instanceof SettingsError ? 2 : 1);
    },
  );
}
