import type { QemuUser } from "../confinement/confinement.js";
import { runCommand } from "../host/run-command.js";
import { shortHash } from "../model/device-keys.js";
import type { NicPlan, NicPlugin } from "./nic-plugin.js";

/**
 * A Linux bridge per network_id (`irib` + 11 hex digits of its hash, created on first use and kept) and one
 * tap per NIC on it. The NIC's ips reach the guest through the network metadata fw_cfg entry. With a network
 * namespace set, bridges and taps live there (QEMU is started inside it too), never on the host's interfaces.
 */
export class BridgeNicPlugin implements NicPlugin {
  readonly name = "bridge";

  constructor(
    private readonly netns: string,
    /** QEMU's unprivileged user, who must own a tap to open it; undefined when QEMU runs as root. */
    private readonly tapOwner: QemuUser | undefined,
  ) {}

  static bridgeName(networkId: string): string {
    return `irib${shortHash("bridge", networkId).slice(0, 11)}`;
  }

  async prepare(nic: NicPlan): Promise<Record<string, unknown>> {
    const bridge = BridgeNicPlugin.bridgeName(nic.networkId);
    if (!(await this.linkExists(bridge))) {
      await this.ignoreExists(this.ip("link", "add", bridge, "type", "bridge"));
    }
    await this.ip("link", "set", bridge, "up");
    if (!(await this.linkExists(nic.tap))) {
      const owner = this.tapOwner
        ? ["user", String(this.tapOwner.uid), "group", String(this.tapOwner.gid)]
        : [];
      await this.ignoreExists(this.ip("tuntap", "add", "dev", nic.tap, "mode", "tap", ...owner));
    }
    await this.ip("link", "set", nic.tap, "master", bridge);
    await this.ip("link", "set", nic.tap, "up");
    return { type: "tap", ifname: nic.tap, script: "no", downscript: "no" };
  }

  async release(tap: string): Promise<void> {
    if (await this.linkExists(tap)) await this.ip("link", "del", tap);
  }

  handle(nic: NicPlan): string {
    return `bridge/${BridgeNicPlugin.bridgeName(nic.networkId)}/${nic.tap}`;
  }

  private ip(...args: string[]): Promise<string> {
    return runCommand(this.netns === "" ? ["ip", ...args] : ["ip", "-n", this.netns, ...args]);
  }

  private async linkExists(name: string): Promise<boolean> {
    const out = await this.ip("-o", "link", "show");
    return out.split("\n").some((line) => line.split(":")[1]?.trim().split("@")[0] === name);
  }

  private async ignoreExists(command: Promise<string>): Promise<void> {
    try {
      await command;
    } catch (error) {
      if (!String((error as Error).message).includes("File exists")) throw error;
    }
  }
}
