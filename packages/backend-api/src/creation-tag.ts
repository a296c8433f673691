import type { CreationTag } from "./operation.js";

/**
 * A creation tag as one string, `<lineage>.<generation>`, for backends that tag with strings (RBD image
 * metadata, user and bucket tags).
 */
export function formatCreationTag(tag: CreationTag): string {
  return `${tag.lineage}.${tag.generation}`;
}

/** The tag `formatCreationTag` wrote, or undefined for anything else (a missing or tampered tag). */
export function parseCreationTag(value: string | undefined): CreationTag | undefined {
  const match = /^([0-9a-z]{1,32})\.([0-9]{1,15})$/.exec(value ?? "");
  if (!match) return undefined;
  return { lineage: match[1] as string, generation: Number(match[2]) };
}
