import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { TestBackendContext } from "@iri/backend-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../host/run-command.js";
import { macAddress } from "../model/device-keys.js";
import { qemuMachineBackend, qemuSettings } from "../qemu-backend-factory.js";
import type { QemuMachineBackend } from "../qemu-machine-backend.js";
import { converge, removeMachine } from "../testdata/converge.js";
import { smallMachine } from "../testdata/intents.js";
import { defaultSettings } from "../testdata/settings.js";
import { buildTestGuest, GuestShell, pushTestGuest } from "../testing/index.js";
import { BridgeNicPlugin } from "./bridge-nic-plugin.js";

const _MiB = 1024n * 1024n;

describe("bridge NIC plugin in a network namespace of the test's own (real QEMU)", () => {
  const netns = `iri-qemu-${randomBytes(3).toString("hex")}`;
  const id = `br${Date.now().toString(36)}`;
  const bridge = BridgeNicPlugin.bridgeName("net-a");
  let context: TestBackendContext;
  let backend: QemuMachineBackend;
  let image = "";
  const ip = (...args: string[]) => runCommand(["ip", "-n", netns, ...args]);
  const apply = (nics: machine.NetworkInterface[]) =>
    converge(() =>
      backend.apply(
        smallMachine(id, {
          volumes: [{ name: "root", device: "oda", localDisk: { image: { image } } }],
          networkInterfaces: nics,
        }),
        context.operation(id),
      ),
    );

  beforeAll(async () => {
    await runCommand(["ip", "netns", "add", netns]);
    image = await pushTestGuest(buildTestGuest());
    context = new TestBackendContext({ provider: "machine-provider" });
    backend = await qemuMachineBackend.open(
      { ...defaultSettings(qemuSettings), nicPlugin: "bridge", netns, shutdownTimeout: 1 },
      context,
    );
  }, 120_000);

  afterAll(async () => {
    if (backend) {
      await removeMachine(backend, context, id);
      await backend.close();
      await context.dispose();
    }
    await runCommand(["ip", "netns", "del", netns]);
  }, 60_000);

  it("puts each NIC on a tap in the network's bridge, with its stable MAC, reachable from the bridge", async () => {
    const nic = create(machine.NetworkInterfaceSchema, {
      name: "primary",
      networkId: "net-a",
      ips: ["10.99.0.2"],
    });
    const observation = await apply([nic]);
    const handle = observation.networkInterfaces[0]?.handle ?? "";
    expect(handle).toMatch(new RegExp(`^bridge/${bridge}/iri[0-9a-f]{12}$`));
    const tap = handle.split("/")[2] ?? "";
    expect(await ip("-o", "link", "show", "master", bridge)).toContain(tap);
    // Nothing of it on the host's own interfaces.
    expect(await runCommand(["ip", "-o", "link", "show"])).not.toContain(tap);

    await ip("addr", "add", "10.99.0.1/24", "dev", bridge);
    const shell = await GuestShell.open((signal) => backend.openConsole(id, signal));
    try {
      expect(await shell.run("cat /sys/class/net/eth0/address", 60_000)).toBe(macAddress(id, "primary"));
      await shell.run("ip link set eth0 up; ip addr add 10.99.0.2/24 dev eth0");
      expect(
        await shell.waitFor(
          "ping -c 1 -W 2 10.99.0.1 >/dev/null && echo reachable",
          (out) => out === "reachable",
        ),
      ).toBe("reachable");
    } finally {
      shell.close();
    }

    await apply([]);
    expect(await ip("-o", "link", "show")).not.toContain(tap);
  }, 180_000);
});
