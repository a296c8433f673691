import { isDigest } from "./digest.js";
import { InvalidImageError } from "./errors.js";

/** An OCI content descriptor: what names and bounds a blob or manifest. */
export interface Layer {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/** Validates a descriptor from a manifest or index; `where` names it in the error. */
export function parseDescriptor(value: unknown, where: string): Layer {
  if (typeof value !== "object" || value === null) throw new InvalidImageError(`${where} is not an object`);
  const { digest, size, mediaType } = value as Record<string, unknown>;
  if (typeof mediaType !== "string" || mediaType === "") {
    throw new InvalidImageError(`${where} has no mediaType`);
  }
  if (typeof digest !== "string" || !isDigest(digest)) {
    throw new InvalidImageError(`${where} has an invalid digest ${JSON.stringify(digest)}`);
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidImageError(`${where} has an invalid size ${JSON.stringify(size)}`);
  }
  return { digest, size, mediaType };
}
