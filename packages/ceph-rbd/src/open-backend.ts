import type { BackendContext, SettingValues } from "@iri/backend-api";
import { OciClient } from "@iri/oci";
import type { BackendDeps } from "./backend-deps.js";
import { CephRbdBackend } from "./ceph-rbd-backend.js";
import { CephCli } from "./cli/ceph-cli.js";
import { CephUnreachableError } from "./cli/ceph-command-error.js";
import { CephShells } from "./cli/ceph-shell.js";
import { Rbd } from "./cli/rbd.js";
import { ImageCache } from "./image-cache.js";
import { parseCephKey, removeSecretLeftovers } from "./keyring.js";
import { LegacyConsumer } from "./legacy-consumer.js";
import { ImageNames } from "./names.js";
import { ResyncListings } from "./pool-listings.js";
import type { CephRbdSettings } from "./settings.js";
import { VolumeIdentities } from "./volume-identity.js";
import { volumeSources } from "./volume-source.js";

export async function openCephRbdBackend(
  settings: SettingValues<CephRbdSettings>,
  context: BackendContext,
): Promise<CephRbdBackend> {
  const monitors = parseMonitors(settings.monitors);
  if (settings.adminKeyFile === "")
    throw new Error("--ceph-admin-key-file is required (a file with the admin cephx key)");
  const adminKey = parseCephKey(settings.adminKeyFile, "--ceph-admin-key-file");
  const adminId = settings.adminId.replace(/^client\./, "");
  // Files earlier versions left: the admin keyring and secrets of tools a kill -9 cut short.
  await removeSecretLeftovers(context.stateDir);
  const cli = new CephCli({
    monitors,
    id: adminId,
    key: adminKey,
    timeoutSeconds: settings.timeoutSeconds,
    toolNiceness: settings.toolNiceness,
  });
  const pools = [...new Set([settings.pool, ...splitList(settings.extraPools)])];
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(settings.namePrefix)) {
    throw new Error(
      `--ceph-name-prefix ${JSON.stringify(settings.namePrefix)}: use letters, digits, - and _`,
    );
  }

  let existing: string[];
  try {
    existing = await cli.cephJson<string[]>(["osd", "pool", "ls"]);
  } catch (error) {
    if (error instanceof CephUnreachableError) {
      throw new Error(`cannot reach the Ceph monitors at ${monitors}: ${error.message}`, { cause: error });
    }
    throw new Error(`cannot list the Ceph pools as client.${adminId}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const missing = pools.filter((pool) => !existing.includes(pool));
  if (missing.length > 0) throw new Error(`the Ceph pools ${missing.join(", ")} do not exist`);

  const consumerId =
    settings.consumerId.replace(/^client\./, "") || `iri-volume-${idFragment(context.owner.instanceId)}`;
  const legacy = await LegacyConsumer.find(cli, consumerId);
  const rbd = new Rbd(cli);
  const names = new ImageNames(settings.namePrefix, idFragment(context.owner.instanceId));
  const identities = new VolumeIdentities(new CephShells(cli.connection, CEPH_SHELLS));
  const deps: BackendDeps = {
    cli,
    rbd,
    names,
    context,
    owner: context.owner.instanceId,
    pools,
    monitors,
    identities,
    listings: new ResyncListings(rbd, identities, settings.resyncListingMs, (entity) =>
      names.isIdentity(entity),
    ),
    admin: { id: adminId, key: adminKey },
    qos: { burstFactor: settings.qosBurstFactor, burstSeconds: settings.qosBurstSeconds },
  };
  const oci = new OciClient({
    ...(settings.registryCaFile ? { caFile: settings.registryCaFile } : {}),
    ...(settings.registryDockerConfig ? { dockerConfigPath: settings.registryDockerConfig } : {}),
  });
  context.logger.info(
    { monitors, pools, ...(legacy.pending ? { legacyConsumer: `client.${consumerId}` } : {}) },
    "ceph backend ready",
  );
  const cache = new ImageCache(deps, oci);
  return new CephRbdBackend(
    deps,
    cache,
    volumeSources(deps, cache),
    oci,
    legacy,
    settings.imageCacheGcSeconds * 1000,
  );
}

/**
 * Long-lived `ceph` processes for the cephx calls, started when needed: a burst's auth writes wait on the
 * tool's own validation (~0.07 s of CPU each) and on the monitor's commit, four at a time keep up with a burst.
 */
const CEPH_SHELLS = 4;

/** `host:port[,host:port…]`, as consumers split it (ironcore's libvirt-provider uses net.SplitHostPort). */
function parseMonitors(value: string): string {
  const entries = splitList(value);
  if (entries.length === 0) throw new Error("--ceph-monitors is required (comma-separated host:port)");
  for (const entry of entries) {
    if (!/^(\[[0-9a-fA-F:]+\]|[^\s:,[\]]+):\d{1,5}$/.test(entry)) {
      throw new Error(`--ceph-monitors: ${JSON.stringify(entry)} is not host:port`);
    }
  }
  return entries.join(",");
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

function idFragment(instanceId: string): string {
  return (
    instanceId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(0, 16) || "default"
  );
}
