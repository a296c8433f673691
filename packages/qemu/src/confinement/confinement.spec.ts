import { readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../host/run-command.js";
import { MachineFiles } from "../machine-files.js";
import { qemuMachineBackend, qemuSettings } from "../qemu-backend-factory.js";
import type { QemuMachineBackend } from "../qemu-machine-backend.js";
import { converge, removeMachine } from "../testdata/converge.js";
import { smallMachine } from "../testdata/intents.js";
import { defaultSettings } from "../testdata/settings.js";
import { buildTestGuest, GuestShell, pushTestGuest } from "../testing/index.js";

const MiB = 1024 * 1024;

describe("a confined machine (real QEMU: unprivileged user, seccomp, own cgroup v1, restricted network)", () => {
  const id = `conf${Date.now().toString(36)}`;
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  let files: MachineFiles;
  let hostService: Server;
  let shell: GuestShell | undefined;

  beforeAll(async () => {
    // Stands for the provider's ops endpoint: listening on the host's loopback, where 10.0.2.2 would lead.
    hostService = createServer((_req, res) => res.end("metrics"));
    await new Promise<void>((resolve) => hostService.listen(0, "127.0.0.1", resolve));
    const image = await pushTestGuest(buildTestGuest());
    context = new TestBackendContext({ provider: "machine-provider" });
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), shutdownTimeout: 1, consoleLogMiB: 1 },
      context,
    );
    files = new MachineFiles(context.stateDir, id);
    await converge(() =>
      backend.apply(
        smallMachine(id, {
          volumes: [{ name: "root", device: "oda", localDisk: { image: { image } } }],
          networkInterfaces: [create(machine.NetworkInterfaceSchema, { name: "primary", networkId: "n" })],
        }),
        context.operation(id),
      ),
    );
  }, 180_000);

  afterAll(async () => {
    shell?.close();
    hostService?.close();
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
  }, 60_000);

  const pid = async () => Number((await readFile(files.pidFile, "utf8")).trim());

  it("runs QEMU as iri-qemu under its seccomp sandbox, in a cgroup of its own with the class's limits", async () => {
    const status = await readFile(`/proc/${await pid()}/status`, "utf8");
    const uid = (await runCommand(["id", "-u", "iri-qemu"])).trim();
    expect(status).toMatch(new RegExp(`\\nUid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}\\n`));
    expect(status).toMatch(/\nSeccomp:\s+2\n/);
    expect(status).toMatch(/\nNoNewPrivs:\s+1\n/);
    const argv = (await readFile(`/proc/${await pid()}/cmdline`, "utf8")).split("\0");
    expect(argv).toContain("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");

    const cgroups = await readFile(`/proc/${await pid()}/cgroup`, "utf8");
    const group = `/iri-machines/${files.cgroupName}`;
    for (const controller of ["memory", "cpu", "pids"]) {
      expect(cgroups).toMatch(new RegExp(`:${controller}(,[a-z_]+)*:${group}\\n`));
    }
    const limit = (controller: string, file: string) =>
      readFile(`/sys/fs/cgroup/${controller}${group}/${file}`, "utf8").then((text) => text.trim());
    // The class's memory, the overhead setting and the room for one LUKS2 unlock (argon2id, up to 1 GiB).
    expect(await limit("memory", "memory.limit_in_bytes")).toBe(String((256 + 256 + 1024) * MiB));
    expect(await limit("cpu", "cpu.cfs_quota_us")).toBe("100000");
    expect(await limit("pids", "pids.max")).toBe("512");
    // Not in the provider's (this test's) cgroup.
    expect(await readFile("/proc/self/cgroup", "utf8")).not.toContain(group);
  });

  it("gives the guest its network (DHCP from SLIRP) but no path to the host's loopback or the registry", async () => {
    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    expect(
      await shell.run(
        "ip link set eth0 up; udhcpc -i eth0 -n -q -t 5 2>&1 | grep -o 'lease of [0-9.]* obtained'",
        60_000,
      ),
    ).toMatch(/^lease of 10\.0\.2\.\d+ obtained$/);
    await shell.run("ip addr add 10.0.2.15/24 dev eth0 2>/dev/null; true");
    const port = (hostService.address() as AddressInfo).port;
    const registryPort = (process.env.REGISTRY_ADDR ?? "").split(":").at(-1);
    for (const [target, path] of [
      [port, "/metrics"],
      [registryPort, "/v2/"],
    ]) {
      const answer = await shell.run(
        `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 10.0.2.2 ${target} 2>&1; echo rc=$?`,
        30_000,
      );
      expect(answer).not.toContain("HTTP/1");
      expect(answer).toMatch(/rc=[1-9]\d*$/);
    }
  }, 120_000);

  it("keeps the console log under its cap while the guest floods the console, and the console still works", async () => {
    // The network case's shell when it ran first; its own otherwise.
    shell ??= await GuestShell.open((signal) => backend.openConsole(id, signal));
    await shell.run("(timeout 25 yes 0123456789abcdefghijklmnopqrstuvwxyz > /dev/ttyS0 &) ; true");
    shell.close();
    shell = undefined;
    const cap = 1 * MiB;
    const size = (path: string) =>
      stat(path).then(
        (s) => s.size,
        () => 0,
      );
    let largest = 0;
    let written = 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const now = (await size(files.consoleLog)) + (await size(`${files.consoleLog}.1`));
      largest = Math.max(largest, now);
      written = Math.max(written, await size(`${files.consoleLog}.1`));
      await sleep(100);
    }
    console.log(`console log flood: largest ${largest} bytes on disk (cap ${cap})`);
    expect(written).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(cap);
    shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    expect(await shell.run("echo alive", 60_000)).toBe("alive");
  }, 120_000);
});
