const OBJECT_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Whether `id` has the form of an object id (a DNS label: lowercase alphanumerics and `-`, at most 63,
 * alphanumeric at both ends), so that it can name a file, a device or an image without escaping its place.
 * Backends check every id read from outside the store (a directory listing, a process's argv, image metadata)
 * with it before the id names anything.
 */
export function isValidObjectId(id: string): boolean {
  return OBJECT_ID.test(id);
}
