import { type ChildProcess, spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "./host/qemu-process.js";
import { MachineFiles } from "./machine-files.js";
import { createQemuBackendFactory, qemuSettings } from "./qemu-backend-factory.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";
import { converge, removeMachine } from "./testdata/converge.js";
import { smallMachine } from "./testdata/intents.js";
import { defaultSettings } from "./testdata/settings.js";
import { buildTestGuest, GUEST_COMMAND_LINE, GuestShell } from "./testing/index.js";

const MiB = 1024n * 1024n;

describe("kill -9 of the provider while its machine runs (real QEMU, provider in its own process)", () => {
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  let provider: ChildProcess | undefined;
  const id = `crash${Date.now().toString(36)}`;
  const guest = buildTestGuest();
  const image = {
    rootfs: guest.rootfs,
    kernel: guest.kernel,
    initramfs: guest.initramfs,
    commandLine: GUEST_COMMAND_LINE,
  };

  const openBackend = () =>
    createQemuBackendFactory({
      imageSource: () => ({ pull: async () => ({ digest: "sha256:test", ...image }) }),
    }).open({ ...defaultSettings(qemuSettings), shutdownTimeout: 1 }, context);
  const intent = () =>
    smallMachine(id, {
      volumes: [
        { name: "root", device: "oda", localDisk: { sizeBytes: 0n, image: { image: "test-guest" } } },
      ],
    });
  /** The backend open in this process with the machine running, whether or not the adoption case ran first. */
  const runningInProcess = async () => {
    if (!backend) backend = await openBackend();
    const observation = await converge(() => backend.apply(intent(), context.operation(id)));
    expect(observation.state).toBe(machine.MachineState.MACHINE_RUNNING);
  };

  beforeAll(async () => {
    context = new TestBackendContext({ provider: "machine-provider" });
  });

  afterAll(async () => {
    provider?.kill("SIGKILL");
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
  }, 60_000);

  it("adopts the running QEMU after a restart: same pid, not started again, console still answers", async () => {
    const script = fileURLToPath(new URL("./testdata/provider-process.mjs", import.meta.url));
    const config = { stateDir: context.stateDir, instanceId: context.owner.instanceId, machineId: id, image };
    provider = spawn(process.execPath, [script, JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      provider?.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        const match = /RUNNING (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      provider?.once("exit", (code) =>
        reject(new Error(`provider process exited with ${code} before RUNNING`)),
      );
    });
    provider.kill("SIGKILL");
    await new Promise((resolve) => provider?.once("exit", resolve));
    provider = undefined;
    expect(await isAlive(pid)).toBe(true);

    backend = await openBackend();
    const observation = await converge(() => backend.apply(intent(), context.operation(id)));
    expect(observation.state).toBe(machine.MachineState.MACHINE_RUNNING);
    expect(Number((await readFile(new MachineFiles(context.stateDir, id).pidFile, "utf8")).trim())).toBe(pid);
    expect(context.reasons(id)).not.toContain("MachineStarted");
    const shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    try {
      expect(await shell.run("cat /sys/block/vda/size", 60_000)).toBe(String((8n * MiB) / 512n));
    } finally {
      shell.close();
    }
  }, 180_000);

  it("reports a QEMU of its own whose machine directory was lost as unproven, and removes it for its record", async () => {
    await runningInProcess();
    const files = new MachineFiles(context.stateDir, id);
    const pid = Number((await readFile(files.pidFile, "utf8")).trim());
    await rm(files.dir, { recursive: true, force: true });
    // Without its directory nothing proves which machine it is: the orphan pass only quarantines it.
    expect(await backend.listOwned()).toEqual([
      { id, owner: context.owner.instanceId, unproven: expect.stringMatching(/directory is gone/) },
    ]);
    await removeMachine(backend, context, id);
    expect(await isAlive(pid)).toBe(false);
    expect(await backend.listOwned()).toEqual([]);
  }, 180_000);
});
