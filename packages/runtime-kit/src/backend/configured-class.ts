import { PermanentBackendError } from "@iri/backend-api";

/**
 * The class an object was created with, as the class file now configures it. A class that was removed from
 * the file since is a permanent failure of the object (it cannot be realised until the class is back).
 */
export function configuredClass<C extends { readonly name: string }>(
  classes: readonly C[],
  name: string,
  kind: string,
): C {
  const cls = classes.find((c) => c.name === name);
  if (!cls)
    throw new PermanentBackendError(
      "UnknownClass",
      `${kind} class ${JSON.stringify(name)} is no longer configured`,
    );
  return cls;
}
