import type { NicPlan, NicPlugin } from "./nic-plugin.js";

/**
 * QEMU user-mode networking (SLIRP) for laptops and tests, restricted (`restrict=on`): the guest gets its
 * address from SLIRP but reaches neither the host (10.0.2.2 would be the host's loopback: its ops endpoints,
 * registry, Ceph monitors) nor anything beyond. network_id and ips are not enforced. Production uses `bridge`.
 */
export class UserNicPlugin implements NicPlugin {
  readonly name = "user";

  async prepare(): Promise<Record<string, unknown>> {
    return { type: "user", restrict: true };
  }

  async release(): Promise<void> {}

  handle(nic: NicPlan): string {
    return `user/${nic.mac}`;
  }
}
