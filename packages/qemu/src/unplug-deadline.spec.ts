import { readdir } from "node:fs/promises";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachineFiles } from "./machine-files.js";
import { qemuMachineBackend, qemuSettings } from "./qemu-backend-factory.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";
import { converge, eventually, removeMachine } from "./testdata/converge.js";
import { smallMachine } from "./testdata/intents.js";
import { defaultSettings } from "./testdata/settings.js";

const MiB = 1024n * 1024n;

describe("a device unplug the guest never acknowledges (real QEMU, a machine without an OS)", () => {
  const id = `unplug${Date.now().toString(36)}`;
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  const root = { name: "root", device: "oda", localDisk: { sizeBytes: 8n * MiB } };
  const data = { name: "data", device: "odb", localDisk: { sizeBytes: 8n * MiB } };
  const intent = (volumes: (typeof root)[], power = machine.Power.ON) => smallMachine(id, { volumes, power });

  beforeAll(async () => {
    context = new TestBackendContext({ provider: "machine-provider" });
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), unplugTimeout: 1, shutdownTimeout: 1 },
      context,
    );
  });

  afterAll(async () => {
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
  }, 60_000);

  it("warns GuestIgnoresUnplug after the deadline and completes the detach at the next power-off", async () => {
    await converge(() => backend.apply(intent([root, data]), context.operation(id)));
    const disks = () => readdir(new MachineFiles(context.stateDir, id).disksDir);
    expect(await disks()).toHaveLength(2);

    const outcome = await eventually(async () => {
      const result = await backend.apply(intent([root]), context.operation(id));
      return result.notDone?.reason === "GuestIgnoresUnplug" ? result : undefined;
    }, "GuestIgnoresUnplug");
    // Still attached as far as the guest is concerned; the Warning says when it will be gone.
    expect(outcome.observation.volumes.map((v) => v.name)).toEqual(["root", "data"]);
    expect(outcome.notDone?.afterMs).toBeGreaterThanOrEqual(30_000);
    const warning = context.events.find((e) => e.reason === "GuestIgnoresUnplug");
    expect(warning?.type).toBe("Warning");
    expect(warning?.message).toMatch(/volume data: .* next power-off/);
    expect(context.reasons(id).filter((r) => r === "GuestIgnoresUnplug")).toHaveLength(1);

    const off = await converge(() => backend.apply(intent([root], machine.Power.OFF), context.operation(id)));
    expect(off.volumes.map((v) => v.name)).toEqual(["root"]);
    const on = await converge(() => backend.apply(intent([root]), context.operation(id)));
    expect(on.volumes.map((v) => [v.name, v.state])).toEqual([["root", machine.VolumeState.VOLUME_ATTACHED]]);
    expect(context.reasons(id)).toContain("VolumeDetached");
    expect(await disks()).toHaveLength(1);
  }, 180_000);
});
