import { readFileSync } from "node:fs";

/**
 * The `version` of a package.json, for Version's runtime_version: the app's release is stated once, in its
 * package. Throws a readable Error when the file is missing or has no version.
 */
export function packageVersion(packageJson: URL): string {
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
  if (typeof version !== "string" || version === "") throw new Error(`${packageJson.pathname}: no "version"`);
  return version;
}
