// Turns measurements into target verdicts and the printed report: tables for people, then one
// `PASS|MISS <target>: <measured> (target <x>)` line per target for scripts and CI logs.
import type { ChurnMeasurement } from "./churn-benchmark.js";
import type { CreateMeasurement } from "./create-benchmark.js";
import type { ListMeasurement } from "./list-benchmark.js";
import type { BootMeasurement } from "./machine-boot-benchmark.js";
import type { Summary } from "./samples.js";

/** DESIGN §6. */
export const TARGETS = {
  listRatio: 1.5,
  createsPerSecond: 1000,
  /**
   * Where 1,000/s is beyond the host (2 cores shared by the client and the provider): creates at this share of
   * the bare connect server's rate, loaded by the same client in the same run (docs/decisions.md, "Durable
   * creates and Status p99: scheduling and the load generator").
   */
  createsFloorRatio: 0.8,
  rssBytes: 150 * 2 ** 20,
  /** Status while 64 callers create: the machinepoollet gives it 5 s and marks the pool unhealthy after. */
  statusP99Ms: 50,
  /** Create → first console byte ≤ bootRatio × a bare QEMU boot + bootSlackSeconds. */
  bootRatio: 1.2,
  bootSlackSeconds: 0.3,
  /** N machines at once to every first console byte ≤ burstRatio × N bare QEMU boots at once. */
  burstRatio: 1.3,
} as const;

export interface Verdict {
  name:
    | "list-10k"
    | "list-10k-raw"
    | "durable-creates"
    | "status-p99-machine"
    | "rss-10k"
    | "rss-after-churn"
    | "machine-boot"
    | "machine-burst"
    | "rss-machines";
  pass: boolean;
  measured: string;
  target: string;
}

export function verdicts(
  list: ListMeasurement,
  creates: CreateMeasurement,
  churn: ChurnMeasurement,
): Verdict[] {
  const ratio = list.provider.median / list.floor.median;
  const rawRatio = list.providerRaw.median / list.floorRaw.median;
  const allSurvived = creates.survived === creates.acknowledged;
  const createsRatio = creates.perSecond / creates.floor.perSecond;
  return [
    {
      name: "list-10k",
      pass: ratio <= TARGETS.listRatio,
      measured: `${ratio.toFixed(2)}× (${ms(list.provider.median)} vs floor ${ms(list.floor.median)})`,
      target: `≤ ${TARGETS.listRatio}×`,
    },
    {
      // What a Go poollet sees: the provider's serving cost against writing the same bytes, no decoding.
      name: "list-10k-raw",
      pass: rawRatio <= TARGETS.listRatio,
      measured: `${rawRatio.toFixed(2)}× (${ms(list.providerRaw.median)} vs floor ${ms(list.floorRaw.median)})`,
      target: `≤ ${TARGETS.listRatio}×`,
    },
    {
      name: "durable-creates",
      pass:
        (creates.perSecond >= TARGETS.createsPerSecond || createsRatio >= TARGETS.createsFloorRatio) &&
        allSurvived &&
        creates.acknowledged > 0,
      measured:
        `${int(creates.perSecond)}/s = ${createsRatio.toFixed(2)}× the bare connect server's ` +
        `${int(creates.floor.perSecond)}/s (same client, same run; store alone ${int(creates.storeFloor.perSecond)}/s), ` +
        `${int(creates.survived)} of ${int(creates.acknowledged)} acknowledged ` +
        `survived kill -9${allSurvived ? "" : ` (lost e.g. ${creates.lostExamples.join(", ")})`}`,
      target:
        `≥ ${int(TARGETS.createsPerSecond)}/s or ≥ ${TARGETS.createsFloorRatio}× the bare connect server, ` +
        "all survive",
    },
    {
      name: "status-p99-machine",
      pass: creates.statusP99Ms <= TARGETS.statusP99Ms,
      measured: `${ms(creates.statusP99Ms)} over ${int(creates.statusCalls)} calls while ${int(creates.acknowledged)} machines were created`,
      target: `≤ ${TARGETS.statusP99Ms} ms`,
    },
    {
      name: "rss-10k",
      pass: list.memoryAfterLists.rssBytes <= TARGETS.rssBytes,
      measured: mib(list.memoryAfterLists.rssBytes),
      target: `≤ ${TARGETS.rssBytes / 2 ** 20} MiB`,
    },
    {
      name: "rss-after-churn",
      pass: churn.memoryAfterChurn.rssBytes <= TARGETS.rssBytes,
      measured: `${mib(churn.memoryAfterChurn.rssBytes)} after creating and deleting ${int(churn.machines)} machines`,
      target: `≤ ${TARGETS.rssBytes / 2 ** 20} MiB`,
    },
  ];
}

export function bootVerdicts(boot: BootMeasurement): Verdict[] {
  const limit = TARGETS.bootRatio * boot.floor.median + TARGETS.bootSlackSeconds;
  return [
    {
      name: "machine-boot",
      pass: boot.provider.median <= limit,
      measured:
        `${seconds(boot.provider.median)} vs bare QEMU ${seconds(boot.floor.median)} ` +
        `(${(boot.provider.median / boot.floor.median).toFixed(2)}×, ${boot.accelerator})`,
      target: `≤ ${TARGETS.bootRatio}× + ${TARGETS.bootSlackSeconds} s = ${seconds(limit)}`,
    },
    {
      name: "machine-burst",
      pass: boot.burst.providerSeconds <= TARGETS.burstRatio * boot.burst.floorSeconds,
      measured:
        `${(boot.burst.providerSeconds / boot.burst.floorSeconds).toFixed(2)}× (${boot.burst.machines} machines at once: ` +
        `${seconds(boot.burst.providerSeconds)} to every first console byte vs ${seconds(boot.burst.floorSeconds)} ` +
        `for ${boot.burst.machines} bare QEMU boots, ${boot.accelerator})`,
      target: `≤ ${TARGETS.burstRatio}×`,
    },
    {
      name: "rss-machines",
      pass: boot.rssWithMachinesBytes <= TARGETS.rssBytes,
      measured: `${mib(boot.rssWithMachinesBytes)} with ${boot.runningMachines} running machines`,
      target: `≤ ${TARGETS.rssBytes / 2 ** 20} MiB`,
    },
  ];
}

export function renderBootReport(boot: BootMeasurement, results: Verdict[]): string {
  const rows: string[][] = [
    ["measurement", "median", "min", "max", "n"],
    [
      "CreateMachine → first console byte",
      seconds(boot.provider.median),
      seconds(boot.provider.min),
      seconds(boot.provider.max),
      String(boot.provider.n),
    ],
    [
      "bare qemu-system-x86_64 → first byte",
      seconds(boot.floor.median),
      seconds(boot.floor.min),
      seconds(boot.floor.max),
      String(boot.floor.n),
    ],
  ];
  return [table(rows, [false, true, true, true, true]), "", ...results.map(verdictLine)].join("\n");
}

function verdictLine(v: Verdict): string {
  return `${v.pass ? "PASS" : "MISS"} ${v.name}: ${v.measured} (target ${v.target})`;
}

function seconds(value: number): string {
  return `${value.toFixed(2)} s`;
}

export function renderReport(
  list: ListMeasurement,
  creates: CreateMeasurement,
  churn: ChurnMeasurement,
  results: Verdict[],
): string {
  const rows: string[][] = [
    ["measurement", "median", "min", "max", "n"],
    summaryRow("ListMachines provider (connect client)", list.provider),
    summaryRow("ListMachines floor    (connect client)", list.floor),
    summaryRow("ListMachines provider (raw HTTP/2)", list.providerRaw),
    summaryRow("ListMachines floor    (raw HTTP/2)", list.floorRaw),
  ];
  const facts: string[][] = [
    ["fact", "value"],
    ["machines / List response", `${int(list.machines)} / ${mib(list.responseBytes)}`],
    [
      "raw-transport ratio (provider / floor)",
      `${(list.providerRaw.median / list.floorRaw.median).toFixed(2)}×`,
    ],
    ["provider CPU per List", ms(list.providerCpuPerListMs)],
    ["fill rate (poollet-shaped creates)", `${int(list.fillPerSecond)}/s`],
    ["fill → all RUNNING and idle", ms(list.convergeMs)],
    [
      "RSS before Lists / after / peak",
      `${mib(list.memoryBeforeLists.rssBytes)} / ${mib(list.memoryAfterLists.rssBytes)} / ${mib(list.memoryAfterLists.peakRssBytes)}`,
    ],
    [
      `RSS after ${int(churn.machines)} creates + deletes / peak`,
      `${mib(churn.memoryAfterChurn.rssBytes)} / ${mib(churn.memoryAfterChurn.peakRssBytes)}`,
    ],
    ["durable creates (acknowledged in run)", `${int(creates.acknowledged)} in ${ms(creates.elapsedMs)}`],
    ["provider CPU during the create run", `${Math.round(creates.providerCpuFraction * 100)} % of one core`],
    [
      "CPU per create: provider / bare connect server / store alone",
      `${creates.providerCpuMsPerCreate.toFixed(2)} ms / ${creates.floor.serverCpuMsPerCreate.toFixed(2)} ms / ` +
        `${creates.storeFloor.cpuMsPerCreate.toFixed(2)} ms`,
    ],
    [
      "bench client CPU per create: provider run / floor run",
      `${creates.clientCpuMsPerCreate.toFixed(2)} ms / ${creates.floor.clientCpuMsPerCreate.toFixed(2)} ms`,
    ],
    ["create failures", creates.failures === 0 ? "0" : `${creates.failures} (${creates.firstFailure})`],
    ["restart after kill -9 until serving", ms(creates.restartMs)],
  ];
  return [
    table(rows, [false, true, true, true, true]),
    "",
    table(facts, [false, false]),
    "",
    ...results.map(verdictLine),
  ].join("\n");
}

function summaryRow(label: string, s: Summary): string[] {
  return [label, ms(s.median), ms(s.min), ms(s.max), String(s.n)];
}

/** Columns padded to their widest cell; `rightAligned` per column for numbers. */
function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(1)} ms`;
}

function int(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
