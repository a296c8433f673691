// Records handed out by the store are shared between every reader and the in-memory index, so a caller that
// modified one would silently change what everyone else reads. Freezing turns that bug into a TypeError.

export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  // A typed array with elements cannot be frozen; bytes are left as they are.
  if (ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return value;
}
