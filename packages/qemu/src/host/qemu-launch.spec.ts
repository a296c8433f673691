import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchQemu, QemuLaunchError, QemuLaunchTimeoutError } from "./qemu-launch.js";

describe("starting QEMU (real processes)", () => {
  let dir: string;
  const launch = (argv: string[], timeoutMs: number) =>
    launchQemu({
      argv,
      logFile: join(dir, "qemu.log"),
      pidFile: join(dir, "qemu.pid"),
      qmpSocket: join(dir, "qmp.sock"),
      timeoutMs,
    });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iri-qemu-launch-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("a start that does not finish in time is a timeout (retried by the backend), not a launch error", async () => {
    const error = await launch(["sleep", "30"], 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QemuLaunchTimeoutError);
    expect(error).not.toBeInstanceOf(QemuLaunchError);
  });

  it("QEMU exiting while it starts is a launch error carrying its last words", async () => {
    const error = await launch(["qemu-system-x86_64", "-no-such-option"], 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QemuLaunchError);
    expect((error as Error).message).toMatch(/exited with 1 while starting: .*no-such-option/);
  });
});
