import { isDigest } from "./digest.js";
import { InvalidReferenceError } from "./errors.js";

/** A parsed `registry[:port]/repository[:tag][@digest]`. With a digest the tag is informational only. */
export interface ImageReference {
  /** Host and optional port as written, e.g. `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** e.g. `ironcore-dev/os-images/gardenlinux`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

// The grammar of the OCI distribution spec for repository path components and tags.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;

/**
 * Parses an image reference. The registry host is required (no implicit Docker Hub): the first path
 * component must contain a `.` or a `:` port, be `localhost`, or be a bracketed IPv6 address. Without tag
 * and digest the tag is `latest`.
 */
export function parseReference(reference: string): ImageReference {
  const fail = (why: string): never => {
    throw new InvalidReferenceError(`invalid image reference ${JSON.stringify(reference)}: ${why}`);
  };
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) fail("the digest must be sha256:<64 hex> or sha512:<128 hex>");
  }
  const slash = rest.indexOf("/");
  if (slash < 0) fail("expected registry/repository");
  const registry = rest.slice(0, slash);
  let path = rest.slice(slash + 1);
  const looksLikeHost =
    registry.includes(".") || registry.includes(":") || registry === "localhost" || registry.startsWith("[");
  if (!looksLikeHost || !HOST.test(registry)) {
    fail(`${JSON.stringify(registry)} is not a registry host (name the registry, e.g. ghcr.io/…)`);
  }
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) fail(`${JSON.stringify(tag)} is not a valid tag`);
  }
  if (path === "" || !path.split("/").every((component) => PATH_COMPONENT.test(component))) {
    fail(`${JSON.stringify(path)} is not a valid repository (lowercase path components)`);
  }
  if (tag === undefined && digest === undefined) tag = "latest";
  return {
    registry,
    repository: path,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/** The canonical string form of a reference. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}
