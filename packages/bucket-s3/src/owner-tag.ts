import { type CreationTag, formatCreationTag, isValidObjectId, parseCreationTag } from "@iri/backend-api";

/**
 * The owner tag on what a bucket backend creates:
 * `iri-bucket owner=<instanceId> id=<objectId> bucket=<name> created=<lineage>.<generation>`, kept where the
 * store lets us (an RGW user's display name). Parsing gives undefined for anything that is not such a tag
 * (e.g. a user some other tool created, or an id that is not an object id); a tag written before creation
 * tags existed parses without `created`.
 */
export interface OwnerTag {
  readonly owner: string;
  readonly id: string;
  readonly bucket: string;
  readonly created?: CreationTag;
}

const MARKER = "iri-bucket";

export function formatOwnerTag(tag: OwnerTag): string {
  const created = tag.created ? ` created=${formatCreationTag(tag.created)}` : "";
  return `${MARKER} owner=${tag.owner} id=${tag.id} bucket=${tag.bucket}${created}`;
}

export function parseOwnerTag(text: string): OwnerTag | undefined {
  const match = /^iri-bucket owner=(\S*) id=(\S+) bucket=(\S+)(?: created=(\S+))?$/.exec(text);
  if (!match || !isValidObjectId(match[2] as string)) return undefined;
  const created = parseCreationTag(match[4]);
  return {
    owner: match[1] as string,
    id: match[2] as string,
    bucket: match[3] as string,
    ...(created ? { created } : {}),
  };
}

/**
 * The creation tag as a policy statement id (MinIO keeps a policy document as written; a Sid is
 * alphanumeric): `iricreated<lineage>g<generation>`.
 */
export function creationSid(tag: CreationTag): string {
  return `iricreated${tag.lineage}g${tag.generation}`;
}

export function parseCreationSid(sid: string | undefined): CreationTag | undefined {
  const match = /^iricreated([0-9a-z]+)g([0-9]+)$/.exec(sid ?? "");
  return match ? parseCreationTag(`${match[1]}.${match[2]}`) : undefined;
}
