/**
 * The owner tag on what a bucket backend creates: `iri-bucket owner=<instanceId> id=<objectId> bucket=<name>`,
 * kept where the store lets us (an RGW user's display name). Parsing gives undefined for anything that is not
 * such a tag, e.g. a user some other tool created.
 */
export interface OwnerTag {
  readonly owner: string;
  readonly id: string;
  readonly bucket: string;
}

const MARKER = "iri-bucket";

export function formatOwnerTag(tag: OwnerTag): string {
  return `${MARKER} owner=${tag.owner} id=${tag.id} bucket=${tag.bucket}`;
}

export function parseOwnerTag(text: string): OwnerTag | undefined {
  const match = /^iri-bucket owner=(\S*) id=(\S+) bucket=(\S+)$/.exec(text);
  if (!match) return undefined;
  return { owner: match[1] as string, id: match[2] as string, bucket: match[3] as string };
}
