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
 * with the reason; a failure to start, or to go on after serving began (`failed`), exits 1.
 */
export function runMain<Defs extends Record<string, SettingDefinition>>(
  program: string,
  definitions: Defs,
  start: (
    settings: SettingValues<Defs>,
  ) => Promise<{ logger: Logger; close(): Promise<void>; failed?: Promise<Error> }>,
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
    (running) => {
      onShutdownSignal(() => running.close(), running.logger);
      // Stopped itself after serving began (its backend could not be opened): exit as a failed start does.
      void running.failed?.then((err) => {
        process.stderr.write(`${program}: ${err.message}\n`);
        process.exit(1);
      });
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${program}: ${message}\n`);
      process.exit(err instanceof SettingsError ? 2 : 1);
    },
  );
}
