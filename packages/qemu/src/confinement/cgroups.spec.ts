import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CgroupV1Driver, CgroupV2Driver, detectCgroupDriver, SystemdScopeDriver } from "./cgroups.js";

const limits = { cpus: 2, memoryBytes: 512n * 1024n * 1024n, pids: 512 };

// This host mounts cgroup v1 controllers and runs no systemd (the v1 driver is tested against the kernel in
// confinement.spec.ts). The unified hierarchy and systemd are not available here: their drivers are checked
// for what they write and run, against a directory laid out like a cgroup v2 mount.
describe("cgroup drivers this host cannot run", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "iri-cgroup2-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("cgroup v2: delegates cpu, memory and pids under the parent and writes the class's limits", async () => {
    await writeFile(join(root, "cgroup.controllers"), "cpuset cpu io memory pids\n");
    const driver = await detectCgroupDriver("cgroup2", "iri-machines", root);
    expect(driver).toBeInstanceOf(CgroupV2Driver);
    expect(await readFile(join(root, "iri-machines", "cgroup.subtree_control"), "utf8")).toBe(
      "+cpu +memory +pids",
    );
    await driver.place("iri-m1", 4242, limits);
    const read = (file: string) => readFile(join(root, "iri-machines", "iri-m1", file), "utf8");
    expect(await read("cpu.max")).toBe("200000 100000");
    expect(await read("memory.max")).toBe(String(512 * 1024 * 1024));
    expect(await read("pids.max")).toBe("512");
    expect(await read("cgroup.procs")).toBe("4242");
    expect(driver.describe("iri-m1")).toBe(join(root, "iri-machines", "iri-m1"));
  });

  it("cgroup v2: guests weigh one task per vCPU, and their parent the sum of them (not one task for all)", async () => {
    await writeFile(join(root, "cgroup.controllers"), "cpu memory pids\n");
    const driver = await detectCgroupDriver("cgroup2", "iri-machines", root);
    const parentWeight = () => readFile(join(root, "iri-machines", "cpu.weight"), "utf8");
    await driver.place("iri-m1", 4242, limits);
    await Promise.all([
      driver.place("iri-m2", 4243, { ...limits, cpus: 4 }),
      driver.place("iri-m3", 4244, { ...limits, cpus: 1 }),
    ]);
    expect(await readFile(join(root, "iri-machines", "iri-m2", "cpu.weight"), "utf8")).toBe("400");
    expect(await parentWeight()).toBe("700");
    // A fake mount keeps the files of a removed group; a kernel removes them with it.
    await rm(join(root, "iri-machines", "iri-m2"), { recursive: true });
    await driver.release("iri-m2");
    expect(await parentWeight()).toBe("300");
  });

  it("cgroup v1: the same weights as cpu.shares, 1024 per vCPU", async () => {
    const driver = new CgroupV1Driver(root, "iri-machines");
    await driver.prepare();
    await driver.place("iri-m1", 4242, limits);
    await driver.place("iri-m2", 4243, { ...limits, cpus: 1 });
    expect(await readFile(join(root, "cpu", "iri-machines", "iri-m1", "cpu.shares"), "utf8")).toBe("2048");
    expect(await readFile(join(root, "cpu", "iri-machines", "cpu.shares"), "utf8")).toBe("3072");
  });

  it("cgroup v2 without the memory controller is unavailable, naming what is missing", async () => {
    await writeFile(join(root, "cgroup.controllers"), "cpu pids\n");
    await expect(detectCgroupDriver("cgroup2", "iri-machines", root)).rejects.toThrow(/memory/);
  });

  it("systemd: QEMU starts in a transient scope of the parent slice with the limits as properties", () => {
    const prefix = new SystemdScopeDriver("iri-machines").launchPrefix("iri-m1", limits);
    expect(prefix).toEqual([
      ...["systemd-run", "--scope", "--quiet", "--collect", "--unit=iri-m1", "--slice=iri-machines.slice"],
      ...["-p", "CPUQuota=200%", "-p", `MemoryMax=${512 * 1024 * 1024}`, "-p", "TasksMax=512", "--"],
    ]);
  });

  it("an explicit systemd choice without systemd running, or an unknown choice, is refused", async () => {
    await expect(detectCgroupDriver("systemd", "iri-machines", root)).rejects.toThrow(/systemd/);
    await expect(detectCgroupDriver("cgroup3", "iri-machines", root)).rejects.toThrow(/must be auto/);
  });
});
