import { randomBytes } from "node:crypto";

/** The shared loopback registry; tests fail (not skip) without it. */
export function registryAddr(): string {
  const addr = process.env.REGISTRY_ADDR;
  if (!addr) {
    throw new Error(
      "REGISTRY_ADDR is not set: start the services (scripts/services.sh up) and source `scripts/services.sh env`",
    );
  }
  return addr;
}

/** A repository name no other test or session uses. */
export function uniqueRepo(name: string): string {
  return `oci-test-${randomBytes(4).toString("hex")}/${name}`;
}
