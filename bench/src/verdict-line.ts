/** One verdict of a suite, as it printed it: `PASS name: detail`, `MISS …`, `INFO …`, `NOT RUN …`. */
export interface VerdictLine {
  readonly suite: string;
  readonly verdict: "PASS" | "MISS" | "INFO" | "NOT RUN" | "NOT MEASURED" | "FAILED";
  /** The target's name, or the names a NOT RUN line lists. */
  readonly target: string;
  readonly detail: string;
}

const PATTERN = /^(PASS|MISS|INFO|NOT RUN|NOT MEASURED) ([^:]+): (.*)$/;

/** The verdict a suite's output line carries, or undefined for any other line. */
export function parseVerdictLine(line: string, suite: string): VerdictLine | undefined {
  const match = PATTERN.exec(line.trim());
  if (!match) return undefined;
  const [, verdict, target, detail] = match as unknown as [string, VerdictLine["verdict"], string, string];
  return { suite, verdict, target, detail };
}
