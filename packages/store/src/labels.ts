/**
 * Kubernetes equality-based selection: every selector pair must be present in `labels` with an equal value.
 * A `""` value matches only a present key whose value is `""`. An empty or undefined selector matches all.
 */
export function matchesLabels(
  labels: Readonly<Record<string, string>>,
  selector: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector === undefined) return true;
  for (const [key, value] of Object.entries(selector)) {
    // hasOwn: a key like "constructor" must not match through the prototype.
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return true;
}
