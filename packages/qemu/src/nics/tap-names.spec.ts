import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { machine } from "@iri/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../host/run-command.js";
import { BridgeNicPlugin } from "./bridge-nic-plugin.js";
import { planNetworkInterface } from "./nic-plugin.js";

describe("tap names are per machine (real bridge and taps in a network namespace of the test's own)", () => {
  const netns = `iri-tap-${randomBytes(3).toString("hex")}`;
  const links = async () => runCommand(["ip", "-n", netns, "-o", "link", "show"]);

  beforeAll(() => runCommand(["ip", "netns", "add", netns]));
  afterAll(() => runCommand(["ip", "netns", "del", netns]));

  it("gives two machines with the same NIC spec distinct taps; releasing one leaves the other's", async () => {
    const plugin = new BridgeNicPlugin(netns, undefined);
    const nic = create(machine.NetworkInterfaceSchema, { name: "primary", networkId: "net-a" });
    const first = planNetworkInterface("machine-one", nic);
    const second = planNetworkInterface("machine-two", nic);
    expect(first.tap).not.toBe(second.tap);
    expect(first.tap.length).toBeLessThanOrEqual(15);

    await plugin.prepare(first);
    await plugin.prepare(second);
    expect(await links()).toContain(first.tap);
    expect(await links()).toContain(second.tap);

    await plugin.release(first.tap);
    expect(await links()).not.toContain(first.tap);
    expect(await links()).toMatch(new RegExp(`${second.tap}.*master ${BridgeNicPlugin.bridgeName("net-a")}`));
  });
});
