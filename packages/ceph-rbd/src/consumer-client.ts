import type { CephCli } from "./cli/ceph-cli.js";
import { Errno, isCephErrno } from "./cli/ceph-command-error.js";

type Caps = Record<"mon" | "osd" | "mgr", string>;

/** What a consumer (QEMU, `rbd map`) needs to open images in `pools`, and nothing more. */
export function consumerCaps(pools: readonly string[]): Caps {
  return {
    mon: "profile rbd",
    osd: pools.map((pool) => `profile rbd pool=${pool}`).join(", "),
    mgr: pools.map((pool) => `profile rbd pool=${pool}`).join(", "),
  };
}

interface AuthEntry {
  entity: string;
  key: string;
  caps: Partial<Caps>;
}

/**
 * Creates the consumer cephx user, or resets its caps to exactly `consumerCaps(pools)`, and returns its key.
 * The key travels over the tools' stdout only.
 */
export async function ensureConsumerClient(
  cli: CephCli,
  id: string,
  pools: readonly string[],
): Promise<string> {
  const entity = `client.${id}`;
  const caps = consumerCaps(pools);
  const capArgs = (["mon", "osd", "mgr"] as const).flatMap((service) => [service, caps[service]]);
  let existing: AuthEntry | undefined;
  try {
    existing = (await cli.cephJson<AuthEntry[]>(["auth", "get", entity]))[0];
  } catch (error) {
    if (!isCephErrno(error, Errno.ENOENT)) throw error;
  }
  if (!existing) {
    const created = await cli.cephJson<AuthEntry[]>(["auth", "get-or-create", entity, ...capArgs]);
    const key = created[0]?.key;
    if (!key) throw new Error(`ceph auth get-or-create ${entity} returned no key`);
    return key;
  }
  const same = (["mon", "osd", "mgr"] as const).every((service) => existing.caps[service] === caps[service]);
  const hasOthers = Object.keys(existing.caps).some((service) => !["mon", "osd", "mgr"].includes(service));
  if (!same || hasOthers) await cli.ceph(["auth", "caps", entity, ...capArgs]);
  return existing.key;
}
