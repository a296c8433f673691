import { volume } from "@iri/api";
import type { ApplyOutcome, OperationContext, VolumeIntent, VolumeObservation } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { volumeWwn } from "./names.js";
import { volumeTagsOf } from "./owned-images.js";
import type { ListedVolumeImage } from "./pool-listings.js";
import { QOS_METADATA_KEYS, qosMetadata } from "./qos.js";
import { imageBytesFor, roundVolumeBytes } from "./sizes.js";
import { accessFor, knownKey } from "./volume-access.js";
import { type CapImage, capsFingerprint, type VolumeCaps, volumeCaps } from "./volume-identity.js";

/** Placement keys of the steady state: the image's RBD id and whether the class's QoS keys are on it. */
export const Recorded = {
  rbdId: "rbdId",
  qos: "qos",
} as const;

/** `qos` as recorded: the class asked for no QoS keys and the image was left with none. */
export const NO_QOS = "none";

/**
 * A resync of an AVAILABLE volume that nothing changed: confirmed from the sweep's pool listing and user
 * listing (see `ResyncListings`) instead of the per-volume calls. Resolves to the outcome when every fact the
 * provider recorded is confirmed — the image under its recorded name with its recorded RBD id, the size the
 * spec asks for, the parent chain and the user's caps its caps fingerprint stands for, the key the consumer
 * was handed — else undefined, and the volume takes the per-volume path, which repairs or reports the drift
 * (the image deleted, resized or re-created). A volume user removed or given other caps outside the provider
 * (which the per-volume path, trusting its record, never looked at) is made again or set back here, with a
 * Warning event. A volume whose class has QoS keys has its metadata read (the volume's own key can rewrite
 * it): keys or tags that differ from what the per-volume path writes send it there. A volume whose placement
 * is older than the facts above takes the per-volume path once.
 */
export async function confirmSteadyVolume(
  deps: BackendDeps,
  intent: VolumeIntent,
  ctx: OperationContext<VolumeObservation>,
): Promise<ApplyOutcome<VolumeObservation> | undefined> {
  const placement = ctx.placement;
  const last = ctx.lastObservation;
  const pool = placement?.pool;
  const image = placement?.image;
  if (!placement || !pool || !image || !deps.pools.includes(pool) || !placement[Recorded.rbdId]) return;
  if (last?.state !== volume.VolumeState.VOLUME_AVAILABLE) return;
  const encrypted = intent.spec.encryption !== undefined;
  if (placement.encryption !== (encrypted ? "luks2" : "none")) return;
  const qos = qosMetadata(intent.class.iops, intent.class.tps, deps.qos);
  // Stale QoS keys (the class had some when the image was last written) are removed on the per-volume path.
  if (placement[Recorded.qos] === NO_QOS ? qos.size > 0 : qos.size === 0) return;

  const consumerBytes = roundVolumeBytes(intent.spec.resources?.storageBytes ?? 0n);
  if (last.storageBytes !== consumerBytes) return;
  const entity = deps.names.identity(intent.id);
  const key = knownKey(last, entity);
  if (key === undefined || placement.identity !== entity) return;

  const [listed, users] = await Promise.all([
    deps.listings.images(pool, ctx.signal),
    deps.listings.volumeUsers(ctx.signal),
  ]);
  const own = listed.get(image);
  if (!own || own.id !== placement[Recorded.rbdId] || own.size !== imageBytesFor(consumerBytes, encrypted))
    return;
  // An encrypted volume filled from a source keeps `filled` in its placement until the copy is done.
  if (encrypted && !own.parent && intent.spec.volumeDataSource && placement.filled !== "1") return;
  const parents = await chainFromListings(deps, own, ctx.signal);
  if (!parents) return;
  const caps = volumeCaps({ pool, id: own.id, name: own.image }, parents);
  if (capsFingerprint(caps) !== placement.caps) return;
  const wwn = volumeWwn(deps.owner, intent.id);
  if (
    qos.size > 0 &&
    !metadataCurrent(await deps.rbd.metadata(pool, image, ctx.signal), qos, deps, intent.id, wwn, ctx)
  ) {
    return;
  }
  let handed = key;
  // A listing older than the user (made or re-capped by the provider since) is checked against the user itself.
  const inListing = users.get(entity);
  const granted = grants(inListing, caps) ? inListing : (await deps.identities.get(entity, ctx.signal))?.caps;
  if (!grants(granted, caps)) {
    // The store recorded the user: made again (a new key) or given its caps back, as a first apply would.
    handed = await deps.identities.ensure(entity, caps, true, ctx.signal);
    ctx.event(
      "Warning",
      "VolumeUserRestored",
      `the cephx user ${entity} was ${granted ? "given other caps" : "removed"} outside the provider; ${granted ? "its caps were set back" : "it was made again with a new key"}`,
    );
  }

  const access = accessFor(deps, entity, pool, own.image, wwn, handed);
  return {
    observation: { state: volume.VolumeState.VOLUME_AVAILABLE, access, storageBytes: consumerBytes },
    placement,
  };
}

function grants(granted: Partial<VolumeCaps> | undefined, caps: VolumeCaps): boolean {
  return granted?.mon === caps.mon && granted.osd === caps.osd;
}

/**
 * Whether the image's metadata holds the class's QoS keys, no other, and the volume's tags: what the
 * per-volume path would write, so that it has nothing to do.
 */
function metadataCurrent(
  metadata: Record<string, string>,
  qos: ReadonlyMap<string, string>,
  deps: BackendDeps,
  volumeId: string,
  wwn: string,
  ctx: OperationContext<VolumeObservation>,
): boolean {
  const tags = volumeTagsOf(deps, volumeId, wwn, ctx.tag);
  const wanted: Record<string, string> = { ...tags, ...Object.fromEntries(qos) };
  if (Object.entries(wanted).some(([key, value]) => metadata[key] !== value)) return false;
  return QOS_METADATA_KEYS.every((key) => metadata[key] === undefined || qos.has(key));
}

const MAX_CHAIN = 64;

/** The clone chain of `image` from the pools' listings; undefined when a parent is not in a listed pool. */
async function chainFromListings(
  deps: BackendDeps,
  image: ListedVolumeImage,
  signal: AbortSignal,
): Promise<CapImage[] | undefined> {
  const chain: CapImage[] = [];
  let parent = image.parent;
  while (parent) {
    // Read from the cluster: a chain that does not end is not trusted.
    if (chain.length >= MAX_CHAIN || !deps.pools.includes(parent.pool)) return undefined;
    const listed = (await deps.listings.images(parent.pool, signal)).get(parent.image);
    if (!listed) return undefined;
    chain.push({ pool: parent.pool, id: listed.id });
    parent = listed.parent;
  }
  return chain;
}
