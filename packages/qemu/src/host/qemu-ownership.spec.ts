import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachineFiles } from "../machine-files.js";
import { resolveQemuBinary, whyNotOurMachineDir, whyNotOurQemu } from "./qemu-ownership.js";

let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "qemu-ownership-"));
  await mkdir(join(stateDir, "machines"));
});
afterAll(() => rm(stateDir, { recursive: true, force: true }));

describe("ownership proof", () => {
  it("builds no path from an id that could leave the machines directory", () => {
    expect(() => new MachineFiles(stateDir, "../../canary")).toThrow(/not a machine id/);
    expect(() => new MachineFiles(stateDir, "a/b")).toThrow(/not a machine id/);
    expect(new MachineFiles(stateDir, "m1").dir).toBe(join(stateDir, "machines", "m1"));
  });

  it("takes only a real directory of the provider's uid for a machine's", async () => {
    await mkdir(join(stateDir, "machines", "real"));
    await mkdir(join(stateDir, "elsewhere"));
    await symlink(join(stateDir, "elsewhere"), join(stateDir, "machines", "linked"));
    expect(await whyNotOurMachineDir("real", stateDir)).toBeUndefined();
    expect(await whyNotOurMachineDir("linked", stateDir)).toMatch(/not a directory/);
    expect(await whyNotOurMachineDir("missing", stateDir)).toMatch(/ENOENT/);
    expect(await whyNotOurMachineDir("..", stateDir)).toMatch(/not an object id/);
  });

  it("does not take a process whose argv says qemu-system but whose executable is something else", async () => {
    const fake = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], {
      argv0: "qemu-system-x86_64",
      stdio: "ignore",
    });
    try {
      const proof = {
        binary: await resolveQemuBinary("qemu-system-x86_64"),
        uid: process.geteuid?.() ?? 0,
        stateDir,
      };
      expect(await whyNotOurQemu(fake.pid ?? 0, proof)).toMatch(/runs .*node/);
      expect(await whyNotOurQemu(fake.pid ?? 0, { ...proof, uid: 12345 })).toMatch(/uid/);
    } finally {
      fake.kill("SIGKILL");
    }
  });
});
