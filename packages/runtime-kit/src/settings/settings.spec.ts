import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commonSettings } from "./common-settings.js";
import { parseSettings, SettingsError, settingsHelp } from "./settings.js";

const defs = commonSettings("volume");

describe("parseSettings", () => {
  it("takes defaults when neither flag nor environment is given", () => {
    const s = parseSettings(defs, [], {});
    expect(s.socketPath).toBe("/var/run/iri-volumeprovider.sock");
    expect(s.socketMode).toBe(0o660);
    expect(s.workers).toBe(4);
  });

  it("prefers a flag over the environment over the default", () => {
    const env = { IRI_VOLUME_PROVIDER_SOCKET_PATH: "/env.sock", IRI_VOLUME_PROVIDER_WORKERS: "7" };
    const s = parseSettings(defs, ["--socket-path=/flag.sock"], env);
    expect(s.socketPath).toBe("/flag.sock");
    expect(s.workers).toBe(7);
    expect(parseSettings(defs, ["--workers", "9"], env).workers).toBe(9);
  });

  it("accepts an empty value (e.g. to disable the ops endpoint)", () => {
    expect(parseSettings(defs, ["--ops-address="], {}).opsAddress).toBe("");
    expect(parseSettings(defs, ["--ops-address", ""], {}).opsAddress).toBe("");
  });

  it("rejects unknown flags, stray arguments, missing values and malformed numbers and modes", () => {
    expect(() => parseSettings(defs, ["--nope"], {})).toThrow(SettingsError);
    expect(() => parseSettings(defs, ["stray"], {})).toThrow(/unexpected argument/);
    expect(() => parseSettings(defs, ["--workers"], {})).toThrow(/needs a value/);
    expect(() => parseSettings(defs, ["--workers", "2x"], {})).toThrow(/integer/);
    expect(() => parseSettings(defs, [], { IRI_VOLUME_PROVIDER_SOCKET_MODE: "0999" })).toThrow(/octal/);
  });

  it("lists every flag with its environment variable and default in the help text", () => {
    const help = settingsHelp("iri-volume-provider", defs);
    for (const def of Object.values(defs)) {
      expect(help).toContain(`--${def.flag}`);
      expect(help).toContain(def.env);
    }
  });

  it("reads a secretFile setting from its file, refusing one everyone can read", () => {
    const dir = mkdtempSync(join(tmpdir(), "secret-setting-"));
    const path = join(dir, "admin.key");
    writeFileSync(path, "AQBsecretkey==\n", { mode: 0o600 });
    const secretDefs = {
      adminKey: {
        flag: "admin-key-file",
        env: "X_ADMIN_KEY_FILE",
        kind: "secretFile",
        default: "",
        description: "",
      },
    } as const;
    expect(parseSettings(secretDefs, ["--admin-key-file", path], {}).adminKey).toBe("AQBsecretkey==");
    expect(parseSettings(secretDefs, [], {}).adminKey).toBe("");
    chmodSync(path, 0o644);
    expect(() => parseSettings(secretDefs, [], { X_ADMIN_KEY_FILE: path })).toThrow(/readable by everyone/);
    expect(() => parseSettings(secretDefs, ["--admin-key-file", join(dir, "missing")], {})).toThrow(
      SettingsError,
    );
  });

  it("collects a repeated list flag, and reads a list from the environment comma-separated", () => {
    expect(parseSettings(defs, [], {}).extraSocketPaths).toEqual([]);
    const flags = ["--extra-socket-path", "/var/run/iri-cephd.sock", "--extra-socket-path=/run/b.sock"];
    const env = { IRI_VOLUME_PROVIDER_EXTRA_SOCKET_PATHS: "/env/a.sock,/env/b.sock" };
    expect(parseSettings(defs, flags, env).extraSocketPaths).toEqual([
      "/var/run/iri-cephd.sock",
      "/run/b.sock",
    ]);
    expect(parseSettings(defs, [], env).extraSocketPaths).toEqual(["/env/a.sock", "/env/b.sock"]);
    // A single-valued flag given twice: the last one wins.
    expect(parseSettings(defs, ["--workers", "2", "--workers", "3"], {}).workers).toBe(3);
  });

  it("refuses integers below a setting's minimum", () => {
    expect(() => parseSettings(defs, ["--workers", "0"], {})).toThrow(/at least 1/);
  });
});
