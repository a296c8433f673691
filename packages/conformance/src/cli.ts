#!/usr/bin/env node
// iri-conformance --runtime machine|volume|bucket --address unix:///path.sock [--class NAME] [--timeout-ms N]
//                 [--only SUBSTRING] [--poll-interval-ms N] [--stable-gap-ms N] [--list]
import { parseArgs } from "node:util";
import { caseNames, describeCases } from "./cases/registry.js";
import { formatResult, formatSummary } from "./report-format.js";
import { runConformance } from "./run-conformance.js";
import type { RuntimeKind } from "./subjects/subject.js";

const USAGE =
  "usage: iri-conformance --runtime machine|volume|bucket --address unix:///path.sock " +
  "[--class NAME] [--timeout-ms N] [--only SUBSTRING] [--poll-interval-ms N] [--stable-gap-ms N] [--list]";
const RUNTIMES: readonly RuntimeKind[] = ["machine", "volume", "bucket"];
const EXIT_USAGE = 2;

function usageError(message: string): never {
  process.stderr.write(`iri-conformance: ${message}\n${USAGE}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse();
  } catch (err) {
    usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runtime = values.runtime as RuntimeKind | undefined;
  if (!runtime || !RUNTIMES.includes(runtime)) usageError("--runtime must be machine, volume or bucket");
  if (values.list) {
    for (const { name, rule } of describeCases(runtime)) process.stdout.write(`${name}\t${rule}\n`);
    return 0;
  }
  if (!values.address) usageError("--address is required");
  const timeoutMs = positiveInteger(values, "timeout-ms");
  const pollIntervalMs = positiveInteger(values, "poll-interval-ms");
  const stableGapMs = positiveInteger(values, "stable-gap-ms");
  const only = values.only;
  if (only !== undefined && !caseNames[runtime].some((name) => name.includes(only))) {
    usageError(`no ${runtime} case name contains ${JSON.stringify(only)}`);
  }
  const report = await runConformance({
    runtime,
    address: values.address,
    ...(values.class === undefined ? {} : { className: values.class }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    ...(stableGapMs === undefined ? {} : { stableGapMs }),
    ...(only === undefined ? {} : { only }),
    onResult: (result) => process.stdout.write(`${formatResult(result)}\n`),
    onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
  });
  process.stdout.write(`${formatSummary(report)}\n`);
  return report.failed === 0 ? 0 : 1;
}

function positiveInteger(
  values: ReturnType<typeof parse>,
  flag: "timeout-ms" | "poll-interval-ms" | "stable-gap-ms",
): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(Number.isInteger(value) && value > 0)) usageError(`--${flag} must be a positive integer`);
  return value;
}

function parse() {
  return parseArgs({
    strict: true,
    allowPositionals: false,
    options: {
      runtime: { type: "string" },
      address: { type: "string" },
      class: { type: "string" },
      "timeout-ms": { type: "string" },
      "poll-interval-ms": { type: "string" },
      "stable-gap-ms": { type: "string" },
      only: { type: "string" },
      list: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}

// A closed pipe (e.g. `| head`) ends the run quietly instead of crashing on EPIPE.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`iri-conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
