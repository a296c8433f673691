// Exact comparison of label and annotation maps (what the poollets do with maps.Equal), with a readable reason.

export function mapDifference(
  expected: Record<string, string>,
  actual: Record<string, string> | undefined,
): string | undefined {
  const got = actual ?? {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (!(key in got)) problems.push(`missing ${JSON.stringify(key)}`);
    else if (got[key] !== value) {
      problems.push(
        `${JSON.stringify(key)}: expected ${JSON.stringify(value)}, got ${JSON.stringify(got[key])}`,
      );
    }
  }
  for (const key of Object.keys(got)) {
    if (!(key in expected)) problems.push(`unexpected ${JSON.stringify(key)}=${JSON.stringify(got[key])}`);
  }
  return problems.length === 0 ? undefined : problems.join(", ");
}

export function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: Record<string, string>,
): boolean {
  const set = labels ?? {};
  return Object.entries(selector).every(([key, value]) => key in set && set[key] === value);
}
