import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

/** Pids of processes whose argv contains `marker` (the provider's own argv holds it only split). */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const argv = await readFile(`/proc/${name}/cmdline`, "latin1").catch(() => "");
    if (argv.includes(marker)) pids.push(Number(name));
  }
  return pids;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A process' niceness: field 19 of /proc/<pid>/stat, counted after the command name's closing parenthesis. */
async function nicenessOf(pid: number | "self"): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "latin1");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

describe("CephCli after a kill -9 of the provider", () => {
  it("runs the tool below the provider's priority and leaves none running (it would race the job the restarted provider starts)", async () => {
    // A provider process whose rbd call hangs (no monitor answers at 127.0.0.1:1 for two minutes); the
    // built module is what the provider runs.
    const marker = `iri-orphan-${randomBytes(4).toString("hex")}`;
    const cliModule = new URL("../../dist/cli/ceph-cli.js", import.meta.url).href;
    const script = `
      const { CephCli } = await import(${JSON.stringify(cliModule)});
      const cli = new CephCli({ monitors: "127.0.0.1:1", id: "admin", key: "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", timeoutSeconds: 120, toolNiceness: 7 });
      await cli.rbd(["ls", "--pool", ${JSON.stringify(marker.slice(0, 6))} + ${JSON.stringify(marker.slice(6))}]);
    `;
    const provider = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    const exited = new Promise((resolve) => provider.on("exit", resolve));
    // The marker is in argv from `nice` on; the niceness is final once `rbd` itself runs.
    const tool = await until(
      "the rbd call to start",
      async () => {
        for (const pid of await processesWith(marker)) {
          const name = await readFile(`/proc/${pid}/comm`, "latin1").catch(() => "");
          if (name.trim() === "rbd") return pid;
        }
        return undefined;
      },
      20_000,
    );
    expect(await nicenessOf(tool)).toBe(Math.min(19, (await nicenessOf("self")) + 7));
    provider.kill("SIGKILL");
    await exited;
    await until(
      "the orphaned rbd to die",
      async () => ((await processesWith(marker)).length === 0 ? true : undefined),
      10_000,
    );
  });
});
