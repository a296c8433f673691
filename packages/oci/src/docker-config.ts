import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InvalidConfigurationError } from "./errors.js";

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** Registry host[:port] → credentials, read once from a Docker `config.json`. */
export type CredentialStore = ReadonlyMap<string, BasicCredentials>;

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG;
  return dir ? join(dir, "config.json") : join(homedir(), ".docker", "config.json");
}

// `auths` keys are written as `host`, `https://host` or `https://host/v1/` by different tools.
function registryKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
}

/**
 * Reads the `auths` of a Docker config file: `auth` (base64 `user:password`) or `username`/`password`.
 * A missing file means no credentials; an unreadable or malformed one is an error (never silently
 * anonymous). Credential helpers (`credsStore`, `credHelpers`) are not run.
 */
export function readDockerConfig(path: string, required: boolean): CredentialStore {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new InvalidConfigurationError(`cannot read Docker config ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message may quote file content, which holds secrets.
    throw new InvalidConfigurationError(`Docker config ${path} is not valid JSON`);
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  const store = new Map<string, BasicCredentials>();
  if (auths === undefined) return store;
  if (typeof auths !== "object" || auths === null) {
    throw new InvalidConfigurationError(`Docker config ${path}: "auths" is not an object`);
  }
  for (const [key, entry] of Object.entries(auths)) {
    const credentials = entryCredentials(entry);
    if (credentials === "invalid") {
      throw new InvalidConfigurationError(
        `Docker config ${path}: the entry for ${key} has no usable credentials`,
      );
    }
    if (credentials !== undefined) store.set(registryKey(key), credentials);
  }
  return store;
}

function entryCredentials(entry: unknown): BasicCredentials | undefined | "invalid" {
  if (typeof entry !== "object" || entry === null) return "invalid";
  const { auth, username, password } = entry as Record<string, unknown>;
  if (typeof auth === "string" && auth !== "") {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) return "invalid";
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof username === "string" && typeof password === "string") return { username, password };
  // An entry with neither (e.g. only an identitytoken) gives no basic credentials.
  return undefined;
}
