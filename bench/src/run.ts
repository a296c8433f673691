#!/usr/bin/env node
// `pnpm bench`: runs every suite (each its own process, so that one suite's heap and providers never weigh on
// the next), finds the running loopback services itself, prints every verdict line, and writes them with the
// host's facts to bench/results/latest.json. Exit codes: 0 (also on a MISS, unless --strict), 1 on a MISS
// with --strict or when a suite failed, 2 bad flags.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseVerdictLine, type VerdictLine } from "./verdict-line.js";

interface Suite {
  /** The script in dist/ and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** Whether main.js's own flags (--machines, --callers, …) apply. */
  readonly takesMainFlags: boolean;
  /** Flags of its own (with their values), taken out of what goes to main.js. */
  readonly ownFlags?: readonly string[];
}

const SUITES: Record<string, Suite> = {
  machine: { script: "main.js", args: ["--suite", "machine"], takesMainFlags: true },
  volume: { script: "main.js", args: ["--suite", "volume"], takesMainFlags: true },
  qemu: { script: "main.js", args: ["--suite", "qemu"], takesMainFlags: true },
  bucket: { script: "bucket-main.js", args: [], takesMainFlags: false, ownFlags: ["buckets"] },
  list: { script: "list-main.js", args: [], takesMainFlags: false, ownFlags: ["records"] },
  scale: {
    script: "scale-main.js",
    args: [],
    takesMainFlags: false,
    ownFlags: ["objects", "volumes", "window-seconds", "kinds", "list-only"],
  },
  restart: { script: "restart-main.js", args: [], takesMainFlags: false, ownFlags: ["runs"] },
};

const USAGE = `usage: pnpm bench -- [--only SUITE[,SUITE…]] [--strict] [--quick] [main.js flags …]
  --only S     run only these suites: ${Object.keys(SUITES).join(", ")} (default: all, in this order)
  --strict     exit 1 when a target is missed (or a suite reports NOT RUN)
  --quick      a smoke run of every suite (small sizes; the numbers mean little)
  --buckets N goes to the bucket suite, --records N to list, --objects N, --volumes N,
  --window-seconds S, --kinds K[,K…] and --list-only to scale (idle cost, real ListVolumes), --runs N to
  restart (kill -9 → serving).
  Other flags (--machines, --callers, --create-seconds, …) go to the machine, volume and qemu suites
  (node bench/dist/main.js --help). The services are found with scripts/services.sh env unless
  CEPH_MON_HOST is already set.`;

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = join(here, "..", "..");

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const found = discoverServices();
  if (found) console.log(`services: ${found}`);

  const verdicts: VerdictLine[] = [];
  let failed = false;
  for (const name of parsed.only) {
    const suite = SUITES[name] as Suite;
    const args = [
      ...(suite.script !== "bucket-main.js" ? ["--expose-gc"] : []),
      join(here, suite.script),
      ...suite.args,
      ...(parsed.quick ? ["--quick"] : []),
      ...(suite.takesMainFlags ? parsed.mainFlags : []),
      ...(parsed.suiteFlags.get(name) ?? []),
    ];
    console.log(`\n== ${name} ==`);
    const code = await runSuite(args, (line) => {
      const verdict = parseVerdictLine(line, name);
      if (verdict) verdicts.push(verdict);
    });
    if (code !== 0) {
      failed = true;
      verdicts.push({ suite: name, verdict: "FAILED", target: name, detail: `exited ${code}` });
    }
  }

  const path = join(repoRoot, "bench", "results", "latest.json");
  mkdirSync(join(repoRoot, "bench", "results"), { recursive: true });
  writeFileSync(path, `${JSON.stringify(resultsDocument(parsed, verdicts), null, 2)}\n`);
  console.log(`\n== summary (${path}) ==`);
  for (const v of verdicts) console.log(`${v.verdict} ${v.target}: ${v.detail}`);
  const missed = verdicts.some((v) => v.verdict === "MISS" || v.verdict === "NOT RUN");
  return failed || (parsed.strict && missed) ? 1 : 0;
}

function parseFlags(argv: readonly string[]) {
  const { values, tokens } = parseArgs({
    args: [...argv],
    strict: false,
    tokens: true,
    options: {
      only: { type: "string" },
      strict: { type: "boolean" },
      quick: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const only =
    typeof values.only === "string" ? values.only.split(",").map((s) => s.trim()) : Object.keys(SUITES);
  for (const name of only) {
    if (!(name in SUITES)) throw new Error(`--only: unknown suite ${JSON.stringify(name)}`);
  }
  // Everything that is not one of our own flags goes to main.js, in order, values included. Unknown to
  // parseArgs, `--clones 20` is a flag and a positional: the positional is the flag's value.
  const own = new Set(["only", "strict", "quick", "help"]);
  const suiteOf = new Map<string, string>();
  for (const [name, suite] of Object.entries(SUITES))
    for (const flag of suite.ownFlags ?? []) suiteOf.set(flag, name);
  const suiteFlags = new Map<string, string[]>();
  const mainFlags: string[] = [];
  // Where the current flag (and so its value) goes.
  let into = mainFlags;
  let previous: (typeof tokens)[number] | undefined;
  for (const token of tokens) {
    if (token.kind === "option" && !own.has(token.name)) {
      const suite = suiteOf.get(token.name);
      if (suite && !suiteFlags.has(suite)) suiteFlags.set(suite, []);
      into = suite ? (suiteFlags.get(suite) as string[]) : mainFlags;
      into.push(token.rawName);
      if (token.value !== undefined) into.push(token.value);
    } else if (token.kind === "positional") {
      const isFlagValue =
        previous?.kind === "option" && !own.has(previous.name) && previous.value === undefined;
      if (!isFlagValue) throw new Error(`unexpected argument ${JSON.stringify(token.value)}`);
      into.push(token.value);
    }
    previous = token;
  }
  return {
    only,
    strict: values.strict === true,
    quick: values.quick === true,
    help: values.help === true,
    mainFlags,
    suiteFlags,
  };
}

/**
 * Adds the variables of `scripts/services.sh env` (the loopback Ceph, registry, radosgw and MinIO) to our
 * environment when they are not set already, as scripts/test.sh does. Returns what was found, for the log.
 */
function discoverServices(): string | undefined {
  if (process.env.CEPH_MON_HOST) return "taken from the environment";
  const result = spawnSync("bash", [join(repoRoot, "scripts", "services.sh"), "env"], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 30_000,
  });
  if (result.status !== 0) return "none running (scripts/services.sh env failed)";
  const names: string[] = [];
  for (const line of result.stdout.split("\n")) {
    const match = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, key, raw] = match as unknown as [string, string, string];
    if (process.env[key] !== undefined) continue;
    process.env[key] = unquote(raw);
    names.push(key);
  }
  return `scripts/services.sh env (${names.length} variables)`;
}

function unquote(value: string): string {
  if (value.length >= 2 && value[0] === value.at(-1) && (value[0] === "'" || value[0] === '"')) {
    return value.slice(1, -1);
  }
  return value;
}

/** Runs a suite with its output passed through line by line; resolves to its exit code. */
function runSuite(args: readonly string[], onLine: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let rest = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    child.on("close", (code, signal) => {
      if (rest) onLine(rest);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

function resultsDocument(parsed: ReturnType<typeof parseFlags>, verdicts: readonly VerdictLine[]) {
  return {
    at: new Date().toISOString(),
    quick: parsed.quick,
    host: {
      cpuModel: cpus()[0]?.model.trim() ?? "unknown",
      cores: availableParallelism(),
      node: process.version,
      // The qemu suite reports the accelerator its boots used (kvm or tcg) in its own line.
      kvmUsed: verdicts.some((v) => v.suite === "qemu" && /\bkvm\b/.test(v.detail)),
    },
    suites: parsed.only,
    verdicts,
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
