import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { OperationContext, VolumeObservation } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import type { ImageInfo } from "./cli/rbd.js";
import { type CapImage, capsFingerprint, volumeCaps } from "./volume-identity.js";

/** What the provider records (in its own store, through the placement) about a volume's cephx user. */
export interface IdentityRecord {
  /** `client.<…>`: recorded once the user exists. */
  readonly identity: string;
  /** `capsFingerprint` of the caps it was last given. */
  readonly caps: string;
}

/**
 * The volume's own cephx user with caps for its image and its parent chain, and the access handed to the
 * consumer. When the store recorded the user with the same caps and the last observation holds its key, no
 * cephx call is made; otherwise one `auth get-or-create` (plus `auth caps` and `auth get` when the parent
 * chain changed).
 */
export async function ensureVolumeAccess(
  deps: BackendDeps,
  ctx: OperationContext<VolumeObservation>,
  volumeId: string,
  pool: string,
  info: ImageInfo,
  wwn: string,
): Promise<{ access: volume.VolumeAccess; record: IdentityRecord }> {
  const entity = deps.names.identity(volumeId);
  const caps = volumeCaps({ pool, id: info.id, name: info.name }, await parentChain(deps, info, ctx.signal));
  const fingerprint = capsFingerprint(caps);
  const recorded = ctx.placement?.identity === entity;
  const known = knownKey(ctx.lastObservation, entity);
  const key =
    recorded && ctx.placement?.caps === fingerprint && known !== undefined
      ? known
      : await deps.identities.ensure(entity, caps, recorded, ctx.signal);
  const access = accessFor(deps, entity, pool, info.name, wwn, key);
  return { access, record: { identity: entity, caps: fingerprint } };
}

/** What the consumer is handed: the monitors, the image, and the volume's own user and key. */
export function accessFor(
  deps: BackendDeps,
  entity: string,
  pool: string,
  image: string,
  wwn: string,
  key: string,
): volume.VolumeAccess {
  return create(volume.VolumeAccessSchema, {
    driver: "ceph",
    handle: wwn,
    attributes: { monitors: deps.monitors, image: `${pool}/${image}` },
    secretData: {
      userID: new TextEncoder().encode(entity.slice("client.".length)),
      userKey: new TextEncoder().encode(key),
    },
  });
}

/**
 * Images known not to be clones, by `pool/id`: an image that is not a clone never becomes one (an RBD id is
 * never reused), so a burst of clones of one cached image reads the cache image's info once. Bounded: the
 * set starts afresh when full.
 */
const parentless = new Set<string>();
const PARENTLESS_KEEP = 10_000;

/** Every image a clone reads through, nearest first (one `rbd info` per level not known to end the chain). */
export async function parentChain(
  deps: BackendDeps,
  info: ImageInfo,
  signal?: AbortSignal,
): Promise<CapImage[]> {
  const chain: CapImage[] = [];
  let parent = info.parent;
  while (parent) {
    if (parent.id !== undefined && parentless.has(`${parent.pool}/${parent.id}`)) {
      chain.push({ pool: parent.pool, id: parent.id });
      break;
    }
    const parentInfo = await deps.rbd.info(parent.pool, parent.image, signal);
    if (!parentInfo)
      throw new Error(`the parent ${parent.pool}/${parent.image} of ${info.name} cannot be read`);
    chain.push({ pool: parent.pool, id: parentInfo.id });
    if (!parentInfo.parent) {
      if (parentless.size >= PARENTLESS_KEEP) parentless.clear();
      parentless.add(`${parent.pool}/${parentInfo.id}`);
    }
    parent = parentInfo.parent;
  }
  return chain;
}

/** The key the last observation handed out for `entity`, if it did. */
export function knownKey(observation: VolumeObservation | undefined, entity: string): string | undefined {
  const secret = observation?.access?.secretData;
  const id = secret?.userID && new TextDecoder().decode(secret.userID);
  if (id !== entity.slice("client.".length) || !secret?.userKey) return undefined;
  return new TextDecoder().decode(secret.userKey);
}
