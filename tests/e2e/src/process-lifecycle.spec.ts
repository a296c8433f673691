// How a provider process behaves as a process: flags, socket ownership, signals.
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir, startProvider } from "./provider-process.js";

const run = promisify(execFile);
const machineMain = fileURLToPath(new URL("../../../apps/machine-provider/dist/main.js", import.meta.url));
const scratch = scratchDir("lifecycle");
afterAll(() => scratch.remove());

describe("provider process", () => {
  it("documents every flag with its environment variable in --help", async () => {
    const { stdout } = await run(process.execPath, [machineMain, "--help"]);
    expect(stdout).toContain("--socket-path");
    expect(stdout).toContain("IRI_MACHINE_PROVIDER_SOCKET_PATH");
    expect(stdout).toContain("/var/run/iri-machineprovider.sock");
  });

  it("exits 2 with the reason on an unknown flag or a bad value", async () => {
    await expect(run(process.execPath, [machineMain, "--no-such-flag"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown flag --no-such-flag"),
    });
    await expect(run(process.execPath, [machineMain, "--workers", "many"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--workers"),
    });
    await expect(run(process.execPath, [machineMain, "--workers", "-1"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--workers (IRI_MACHINE_PROVIDER_WORKERS) must be at least 1"),
    });
  });

  it("refuses to start without a backend rather than silently reporting everything ready", async () => {
    const dir = join(scratch.dir, "no-backend");
    await expect(
      run(process.execPath, [
        machineMain,
        "--socket-path",
        join(dir, "m.sock"),
        "--state-dir",
        dir,
        "--ops-address",
        "",
      ]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--backend is required (available: noop"),
    });
  });

  it("serves with socket mode 0660, refuses a second instance on the same socket, and stops cleanly on SIGTERM", async () => {
    const dir = join(scratch.dir, "owner");
    const provider = await startProvider("machine", dir);
    expect(statSync(provider.socketPath).mode & 0o777).toBe(0o660);

    await expect(
      run(process.execPath, [
        machineMain,
        "--socket-path",
        provider.socketPath,
        "--state-dir",
        join(dir, "second-state"),
        "--ops-address",
        "",
        "--backend",
        "noop",
      ]),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/another|in use|serving/i) });

    expect(await provider.kill("SIGTERM")).toBe(0);
    expect(existsSync(provider.socketPath)).toBe(false);
  });

  it("replaces a stale socket left by a killed provider", async () => {
    const dir = join(scratch.dir, "stale");
    const first = await startProvider("bucket", dir);
    await first.kill("SIGKILL");
    expect(existsSync(first.socketPath)).toBe(true);
    const second = await startProvider("bucket", dir);
    expect(await second.kill("SIGTERM")).toBe(0);
  });

  it("keeps its database private (mode 0600 in a 0700 directory)", async () => {
    const dir = join(scratch.dir, "modes");
    const provider = await startProvider("volume", dir);
    try {
      expect(statSync(provider.stateDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(provider.stateDir, "store.db")).mode & 0o777).toBe(0o600);
    } finally {
      await provider.kill("SIGTERM");
    }
  });
});
