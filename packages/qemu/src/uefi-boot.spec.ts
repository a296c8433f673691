import { readFile } from "node:fs/promises";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MachineFiles } from "./machine-files.js";
import { qemuMachineBackend, qemuSettings } from "./qemu-backend-factory.js";
import type { QemuMachineBackend } from "./qemu-machine-backend.js";
import { converge, eventually, removeMachine } from "./testdata/converge.js";
import { smallMachine } from "./testdata/intents.js";
import { defaultSettings } from "./testdata/settings.js";
import { buildTestGuest, GUEST_READY_MARKER, pushTestGuest } from "./testing/index.js";

const _MiB = 1024n * 1024n;

describe("UEFI firmware (OVMF, real QEMU)", () => {
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  let image = "";
  const id = `uefi${Date.now().toString(36)}`;

  beforeAll(async () => {
    image = await pushTestGuest(buildTestGuest());
    context = new TestBackendContext({ provider: "machine-provider" });
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), firmware: "uefi", shutdownTimeout: 5 },
      context,
    );
  }, 120_000);

  afterAll(async () => {
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
  }, 60_000);

  it("boots the image's kernel through OVMF", async () => {
    const observation = await converge(() =>
      backend.apply(
        smallMachine(id, { volumes: [{ name: "root", device: "oda", localDisk: { image: { image } } }] }),
        context.operation(id),
      ),
    );
    expect(observation.state).toBe(machine.MachineState.MACHINE_RUNNING);
    const files = new MachineFiles(context.stateDir, id);
    const argv = await readFile(`/proc/${(await readFile(files.pidFile, "utf8")).trim()}/cmdline`, "utf8");
    expect(argv.split("\0")).toEqual(expect.arrayContaining(["-bios", "/usr/share/ovmf/OVMF.fd"]));
    await eventually(
      async () =>
        (await readFile(files.consoleLog, "utf8")).includes(GUEST_READY_MARKER) ? true : undefined,
      "the guest's marker under OVMF",
      120_000,
    );
  }, 180_000);

  it("refuses to open with a firmware file that does not exist", async () => {
    const other = new TestBackendContext({ provider: "machine-provider" });
    try {
      await expect(
        qemuMachineBackend.open(
          { ...defaultSettings(qemuSettings), firmware: "uefi", uefiFirmware: "/nonexistent/OVMF.fd" },
          other,
        ),
      ).rejects.toThrow("--qemu-uefi-firmware /nonexistent/OVMF.fd does not exist");
    } finally {
      await other.dispose();
    }
  });
});
