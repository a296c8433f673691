// A local process made to look like one of the provider's QEMUs (orphans need proof of ownership): argv[0] qemu-system-…, a traversal
// id, the provider's owner tag copied from a real QEMU's argv, a pid file string under the machines directory.
// The restarted machine provider (qemu backend, bridge NICs, orphan removal forced) must ignore it: the
// directory the traversal names survives, the process lives on, and no `ip link del` runs.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OPS_ON_FREE_PORT } from "./ops-metrics.js";
import { instanceIdOf, orphansCounted } from "./orphan-checks.js";
import { scratchDir, startProvider } from "./provider-process.js";

const scratch = scratchDir("local-process");
const fakes: ChildProcess[] = [];
afterAll(() => {
  for (const fake of fakes) fake.kill("SIGKILL");
  scratch.remove();
});

/** Starts a process whose /proc/<pid>/cmdline reads like a QEMU of ours: a node script under argv[0] qemu-system-x86_64. */
function plantFakeQemu(machineId: string, owner: string, pidFile: string): ChildProcess {
  const script = join(scratch.dir, "fake-qemu.mjs");
  writeFileSync(script, "setInterval(() => {}, 1 << 30);\n");
  const fake = spawn(
    process.execPath,
    [
      script,
      "-name",
      `guest=${machineId},debug-threads=on`,
      "-fw_cfg",
      `name=opt/dev.ironcore/owner,string=${owner}`,
      "-pidfile",
      pidFile,
      "-daemonize",
    ],
    { argv0: "qemu-system-x86_64", stdio: "ignore" },
  );
  fakes.push(fake);
  return fake;
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

describe("a planted look-alike QEMU process", () => {
  it("is ignored: nothing outside the provider's directories is removed, no ip link del runs", async () => {
    // `ip` on the provider's PATH records every call, then runs the real one.
    const bin = join(scratch.dir, "bin");
    const ipLog = join(scratch.dir, "ip.log");
    mkdirSync(bin);
    const realIp = execFileSync("sh", ["-c", "command -v ip"], { encoding: "utf8" }).trim();
    writeFileSync(join(bin, "ip"), `#!/bin/sh\necho "$*" >> '${ipLog}'\nexec '${realIp}' "$@"\n`);
    chmodSync(join(bin, "ip"), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const args = [
      "--backend",
      "qemu",
      "--qemu-nic-plugin",
      "bridge",
      "--orphan-removal",
      "force",
      ...OPS_ON_FREE_PORT,
    ];

    const first = await startProvider("machine", scratch.dir, args, env);
    const owner = instanceIdOf(first);
    await first.kill("SIGTERM");

    const machines = join(first.stateDir, "backend", "qemu", "machines");
    // `<machines>/../../../canary` is the provider's state directory's `canary`, outside the backend's own.
    const canary = join(first.stateDir, "canary");
    mkdirSync(canary, { recursive: true });
    writeFileSync(join(canary, "keep"), "precious");
    const traversal = plantFakeQemu("../../../canary", owner, `${machines}/../../../canary/qemu.pid`);
    // A well-formed id whose pid file string is exactly where the backend would put it.
    const lookAlike = plantFakeQemu("fake-machine", owner, join(machines, "fake-machine", "qemu.pid"));
    writeFileSync(join(canary, "qemu.pid"), `${traversal.pid}\n`);

    const second = await startProvider("machine", scratch.dir, args, env);
    try {
      // The pass ran and found nothing of ours: nothing to remove, nothing even to quarantine.
      await orphansCounted(second, "machine", "remove", 0);
      await orphansCounted(second, "machine", "quarantined", 0);
    } finally {
      await second.kill("SIGTERM");
    }
    expect(readFileSync(join(canary, "keep"), "utf8")).toBe("precious");
    expect(running(traversal)).toBe(true);
    expect(running(lookAlike)).toBe(true);
    expect(existsSync(ipLog) ? readFileSync(ipLog, "utf8") : "").not.toMatch(/link del/);
  }, 120_000);
});
