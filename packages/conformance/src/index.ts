// Black-box IRI conformance suite: runs named cases against any machine, volume or bucket runtime socket.

export { caseNames } from "./cases/registry.js";
export type { CaseResult, ConformanceOptions, ConformanceReport } from "./run-conformance.js";
export { runConformance } from "./run-conformance.js";
export type { RuntimeKind } from "./subjects/subject.js";
