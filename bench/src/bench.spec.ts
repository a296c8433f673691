// The built bench as `pnpm bench` runs it, in its quick mode: it finishes, reports every target once, leaves
// no provider running and exits 0 whether or not the (meaningless at this size) targets are met.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const RUN = fileURLToPath(new URL("../dist/run.js", import.meta.url));
const PROVIDER_MAIN = fileURLToPath(new URL("../../apps/machine-provider/dist/main.js", import.meta.url));
const VOLUME_PROVIDER_MAIN = fileURLToPath(
  new URL("../../apps/volume-provider/dist/main.js", import.meta.url),
);

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--expose-gc", MAIN, ...args],
      { timeout: 540_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** Pids of machine and volume providers started from this checkout that are still alive. */
async function providerPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const argv = cmdline.split("\0");
    if (argv.includes(PROVIDER_MAIN) || argv.includes(VOLUME_PROVIDER_MAIN)) pids.push(Number(entry));
  }
  return pids;
}

/** Pids of QEMU processes of machines the bench created (their state lives under $TMPDIR/iri-bench-*). */
async function benchQemuPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (argv[0]?.includes("qemu-system") && argv.some((arg) => arg.includes("/iri-bench-")))
      pids.push(Number(entry));
  }
  return pids;
}

describe("pnpm bench --quick", () => {
  it("is built (run `pnpm build` first)", () => {
    expect(existsSync(MAIN)).toBe(true);
    expect(existsSync(PROVIDER_MAIN)).toBe(true);
  });

  it("prints one verdict line per target, stops its providers and exits 0", async () => {
    const before = new Set(await providerPids());
    const { code, stdout, stderr } = await runBench(["--quick"]);
    expect(stderr).not.toContain("bench failed");
    const verdicts = stdout.split("\n").filter((line) => /^(PASS|MISS) /.test(line));
    // The volume targets need the loopback Ceph and registry (scripts/test.sh exports their variables).
    expect(stdout).not.toContain("NOT RUN");
    const targets = [
      "list-10k",
      "list-10k-raw",
      "durable-creates",
      "status-p99-machine",
      "rss-10k",
      "rss-after-churn",
      "volume-population",
      "volume-population-half-zeros",
      "volume-clones-5",
      "volume-burst-clones-10",
      "volume-burst-empty-10",
      "status-p99-volume",
      "volume-restart",
      "machine-boot",
      "machine-burst",
      "rss-machines",
    ];
    expect(verdicts).toHaveLength(targets.length);
    for (const [i, target] of targets.entries()) {
      expect(verdicts[i]).toMatch(new RegExp(`^(PASS|MISS) ${target}: .+ \\(target .+\\)$`));
    }
    // Durability is not a performance target: an acknowledged create lost to kill -9 is a bug at any size.
    expect(stdout).toMatch(/durable-creates: .*?([\d,]+) of \1 acknowledged survived kill -9/);
    expect((await providerPids()).filter((pid) => !before.has(pid))).toEqual([]);
    expect(await benchQemuPids()).toEqual([]);
    expect(code).toBe(0);
  });

  it("pnpm bench's runner rejects an unknown suite with exit code 2 and its usage", async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, [RUN, "--only", "machine,nope"], (error, _stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stderr }),
      ),
    );
    expect(code).toBe(2);
    expect(stderr).toContain('--only: unknown suite "nope"');
    expect(stderr).toContain("usage: pnpm bench");
  });

  it("rejects an unknown flag with exit code 2 and the usage", async () => {
    const { code, stderr } = await runBench(["--no-such-flag"]);
    expect(code).toBe(2);
    expect(stderr).toContain("usage:");
  });
});
