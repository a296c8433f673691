import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qemuMachineBackend, qemuSettings } from "./qemu-backend-factory.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";
import { converge, removeMachine } from "./testdata/converge.js";
import { smallMachine } from "./testdata/intents.js";
import { defaultSettings } from "./testdata/settings.js";
import { buildTestGuest, GuestShell, pushTestGuest } from "./testing/index.js";

const MiB = 1024n * 1024n;

describe("more devices than PCIe root ports (real QEMU)", () => {
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  const id = `ports${Date.now().toString(36)}`;
  let image = "";
  const disk = (name: string, device: string) =>
    create(machine.VolumeSchema, { name, device, localDisk: { sizeBytes: 8n * MiB } });
  const intent = (volumes: machine.Volume[]) => smallMachine(id, { volumes });

  beforeAll(async () => {
    image = await pushTestGuest(buildTestGuest());
    context = new TestBackendContext({ provider: "machine-provider" });
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), rootPorts: 2, shutdownTimeout: 5 },
      context,
    );
  });

  afterAll(async () => {
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
  });

  it("keeps the device that does not fit PENDING, blocked with a reason, and attaches it once a port is free", async () => {
    const a = create(machine.VolumeSchema, { name: "a", device: "oda", localDisk: { image: { image } } });
    const [b, c] = [disk("b", "odb"), disk("c", "odc")];
    let outcome = await backend.apply(intent([a, b, c]), context.operation(id));
    while (outcome.notDone?.reason === "ImagePulling") {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcome = await backend.apply(intent([a, b, c]), context.operation(id));
    }
    expect(outcome.observation.volumes.map((v) => [v.name, v.state])).toEqual([
      ["a", machine.VolumeState.VOLUME_ATTACHED],
      ["b", machine.VolumeState.VOLUME_ATTACHED],
      ["c", machine.VolumeState.VOLUME_PENDING],
    ]);
    expect(outcome.notDone).toMatchObject({ reason: "NoFreePciePort", blocked: true });
    expect(outcome.notDone?.message).toContain("volume c waits for a free PCIe root port (all 2 in use)");

    // Once the guest (which must release b) runs, dropping b frees its port for c.
    const shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    try {
      await shell.run("true", 60_000);
      const after = await converge(() => backend.apply(intent([a, c]), context.operation(id)));
      expect(after.volumes.map((v) => [v.name, v.state])).toEqual([
        ["a", machine.VolumeState.VOLUME_ATTACHED],
        ["c", machine.VolumeState.VOLUME_ATTACHED],
      ]);
      await shell.waitFor("ls /sys/block", (out) => out.split(/\s+/).length === 2);
    } finally {
      shell.close();
    }
  }, 120_000);
});
