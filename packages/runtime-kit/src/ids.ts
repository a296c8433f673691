import { randomBytes } from "node:crypto";
import { isValidObjectId } from "@iri/backend-api";

const ID_LENGTH = 63;
const ALL_DIGITS = /^[0-9]+$/;

/**
 * A new random id: 63 lowercase hex characters (252 bits), the longest DNS label, so it is also safe as a file
 * name, an RBD image name and a Kubernetes name. Ids whose first 12 characters are all digits are avoided,
 * because tools that show a short id prefix would print something that looks like a number.
 */
export function generateId(): string {
  for (;;) {
    const id = randomBytes(32).toString("hex").slice(0, ID_LENGTH);
    if (!ALL_DIGITS.test(id.slice(0, 12))) return id;
  }
}

/**
 * Whether a caller-supplied id can be used as it is: a DNS label (lowercase alphanumerics and `-`, at most 63,
 * alphanumeric at both ends). That excludes `/`, `.`, `:` and so `://`, which the poollets use as separator.
 */
export function isValidId(id: string): boolean {
  return isValidObjectId(id);
}
