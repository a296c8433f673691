import type { NicPlan, NicPlugin } from "./nic-plugin.js";

/**
 * QEMU user-mode networking (SLIRP): outbound NAT from the guest, nothing on the host to set up or clean.
 * For laptops and tests; network_id and ips are not enforced.
 */
export class UserNicPlugin implements NicPlugin {
  readonly name = "user";

  async prepare(): Promise<Record<string, unknown>> {
    return { type: "user" };
  }

  async release(): Promise<void> {}

  handle(nic: NicPlan): string {
    return `user/${nic.mac}`;
  }
}
