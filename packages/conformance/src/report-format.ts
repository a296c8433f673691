// The CLI's output lines; the programmatic API exports them so wrappers print the same format.
import type { CaseResult, ConformanceReport } from "./run-conformance.js";

export function formatResult(result: CaseResult): string {
  // One line per case, whatever the reason contains.
  return result.ok
    ? `PASS ${result.name}`
    : `FAIL ${result.name}: ${(result.error ?? "").replace(/\s*\n\s*/g, " ")}`;
}

export function formatSummary(report: Pick<ConformanceReport, "passed" | "failed">): string {
  return `${report.passed} passed, ${report.failed} failed`;
}
