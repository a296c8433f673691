// Runs the cases of one runtime against a provider socket, one after another, each with its own cleanup.
import { randomBytes } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { bucket, machine, volume } from "@iri/api";
import { bucketRuntimeCases, machineRuntimeCases, volumeRuntimeCases } from "./cases/registry.js";
import { CaseFailure, describeError, fail } from "./check.js";
import type { CaseContext, ConformanceCase, ObjectOf, Timing } from "./conformance-case.js";
import { pollUntil } from "./poll.js";
import { BucketSubject } from "./subjects/bucket-subject.js";
import { MachineSubject } from "./subjects/machine-subject.js";
import type { ClassInfo, RuntimeKind, Subject } from "./subjects/subject.js";
import { VolumeSubject } from "./subjects/volume-subject.js";
import { createClosableTransport } from "./transport.js";

export interface ConformanceOptions {
  runtime: RuntimeKind;
  /** gRPC target: `unix:///path.sock`, a bare absolute path, or `host:port`. */
  address: string;
  /** Class to create objects with; default: the first usable class the runtime reports. */
  className?: string;
  /** Only cases whose name contains this substring. */
  only?: string;
  /** Convergence deadline (state changes, deletion). Default 60 s. */
  timeoutMs?: number;
  pollIntervalMs?: number;
  stableGapMs?: number;
  /** Deadline of each RPC. Default 15 s. */
  rpcTimeoutMs?: number;
  /** Hard limit per case, cleanup excluded. Default 3 × timeoutMs + 30 s. */
  caseTimeoutMs?: number;
  /** Called as each case finishes, in order. */
  onResult?: (result: CaseResult) => void;
  /** Problems that do not fail a case, e.g. a cleanup step that failed. */
  onWarning?: (message: string) => void;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}

export interface ConformanceReport {
  results: CaseResult[];
  passed: number;
  failed: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_POLL_INTERVAL_MS = 250;
// Longer than a second, so that a timestamp with seconds resolution changes between the two Lists.
const DEFAULT_STABLE_GAP_MS = 1_100;
const DEFAULT_RPC_TIMEOUT_MS = 15_000;
const CLEANUP_WAIT_MS = 10_000;
const RUN_LABEL = "conformance.iri.dev/run";
const OBJECT_LABEL = "conformance.iri.dev/object";

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const { transport, close } = createClosableTransport(
    options.address,
    options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS,
  );
  try {
    switch (options.runtime) {
      case "machine":
        return await runCases(
          new MachineSubject(createClient(machine.MachineRuntime, transport)),
          machineRuntimeCases,
          options,
        );
      case "volume":
        return await runCases(
          new VolumeSubject(createClient(volume.VolumeRuntime, transport)),
          volumeRuntimeCases,
          options,
        );
      case "bucket":
        return await runCases(
          new BucketSubject(createClient(bucket.BucketRuntime, transport)),
          bucketRuntimeCases,
          options,
        );
    }
  } finally {
    close();
  }
}

/** The cases whose name contains `only` (all when unset), in run order. */
function selectCases<S extends Subject>(
  cases: readonly ConformanceCase<S>[],
  only: string | undefined,
): ConformanceCase<S>[] {
  return cases.filter((c) => only === undefined || c.name.includes(only));
}

async function runCases<S extends Subject>(
  subject: S,
  cases: readonly ConformanceCase<S>[],
  options: ConformanceOptions,
): Promise<ConformanceReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timing: Timing = {
    timeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    stableGapMs: options.stableGapMs ?? DEFAULT_STABLE_GAP_MS,
  };
  const run: RunState<S> = {
    subject,
    timing,
    runId: randomBytes(4).toString("hex"),
    classes: undefined,
    options,
    caseTimeoutMs: options.caseTimeoutMs ?? 3 * timeoutMs + 30_000,
  };
  const results: CaseResult[] = [];
  for (const conformanceCase of selectCases(cases, options.only)) {
    const result = await runCase(run, conformanceCase);
    results.push(result);
    options.onResult?.(result);
  }
  const passed = results.filter((r) => r.ok).length;
  return { results, passed, failed: results.length - passed };
}

interface RunState<S extends Subject> {
  subject: S;
  timing: Timing;
  runId: string;
  /** Fetched once per run, on first use, so a failing Status only fails the cases that need a class. */
  classes: Promise<ClassInfo[]> | undefined;
  options: ConformanceOptions;
  caseTimeoutMs: number;
}

async function runCase<S extends Subject>(
  run: RunState<S>,
  conformanceCase: ConformanceCase<S>,
): Promise<CaseResult> {
  const controller = new AbortController();
  const cleanups: { description: string; step: () => Promise<void> }[] = [];
  const ctx = caseContext(run, controller.signal, cleanups);
  let error: string | undefined;
  const running = conformanceCase.run(ctx);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const failure = new CaseFailure(`case did not finish within ${run.caseTimeoutMs} ms`);
      controller.abort(failure);
      reject(failure);
    }, run.caseTimeoutMs);
  });
  try {
    await Promise.race([running, timedOut]);
  } catch (err) {
    error = describeError(err);
  } finally {
    clearTimeout(timer);
    // After a timeout the case still has to stop (its waits are aborted, its RPCs have deadlines) before its
    // objects can be cleaned up.
    await running.catch(() => {});
  }
  for (const { description, step } of cleanups.reverse()) {
    try {
      await step();
    } catch (err) {
      run.options.onWarning?.(
        `${conformanceCase.name}: cleanup (${description}) failed: ${describeError(err)}`,
      );
    }
  }
  return error === undefined
    ? { name: conformanceCase.name, ok: true }
    : { name: conformanceCase.name, ok: false, error };
}

function caseContext<S extends Subject>(
  run: RunState<S>,
  signal: AbortSignal,
  cleanups: { description: string; step: () => Promise<void> }[],
): CaseContext<S> {
  const { subject, runId, timing, options } = run;
  const classes = () => {
    run.classes ??= subject.listClasses();
    return run.classes;
  };
  const className = async () => {
    if (options.className) return options.className;
    let listed: ClassInfo[];
    try {
      listed = await classes();
    } catch (err) {
      fail(`cannot choose a class (pass --class): ${describeError(err)}`);
    }
    const usable =
      listed.find((c) => c.name !== "" && c.problem === undefined) ?? listed.find((c) => c.name !== "");
    if (!usable) fail("cannot choose a class: the runtime reports none (pass --class)");
    return usable.name;
  };
  const defer = (description: string, step: () => Promise<void>) => {
    cleanups.push({ description, step });
  };
  const uniqueLabels = () => ({ [RUN_LABEL]: runId, [OBJECT_LABEL]: randomBytes(4).toString("hex") });
  return {
    subject,
    runId,
    timing,
    signal,
    className,
    async classNames() {
      try {
        return (await classes()).map((c) => c.name);
      } catch {
        return options.className ? [options.className] : [];
      }
    },
    uniqueLabels,
    uniqueId: () => `conformance-${runId}-${randomBytes(4).toString("hex")}`,
    async newObject(extra = {}) {
      return subject.build({
        className: await className(),
        labels: { ...extra.labels, ...uniqueLabels() },
        annotations: extra.annotations ?? {},
        ...(extra.id === undefined ? {} : { id: extra.id }),
      }) as ObjectOf<S>;
    },
    async create(object) {
      const created = (await subject.create(object)) as ObjectOf<S>;
      const id = created.metadata?.id;
      if (id) defer(`delete ${subject.noun} ${id}`, () => deleteAndWait(subject, id, timing));
      return created;
    },
    defer,
  };
}

async function deleteAndWait(subject: Subject, id: string, timing: Timing): Promise<void> {
  try {
    await subject.delete(id);
  } catch (err) {
    if (ConnectError.from(err).code === Code.NotFound) return;
    throw err;
  }
  // Waiting keeps objects of finished cases from piling up in the provider (e.g. running VMs); an object that
  // takes longer is left to finish deleting on its own.
  await pollUntil(
    { timeoutMs: Math.min(timing.timeoutMs, CLEANUP_WAIT_MS), intervalMs: timing.pollIntervalMs },
    async () => ((await subject.list({ id })).length === 0 ? true : undefined),
  );
}
