import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import {
  type ApplyOutcome,
  type OperationContext,
  PermanentBackendError,
  type Placement,
  type VolumeIntent,
  type VolumeObservation,
} from "@iri/backend-api";
import { type BackendDeps, poolOfClass } from "./backend-deps.js";
import type { ImageInfo, ParentRef } from "./cli/rbd.js";
import { withSecretFile } from "./keyring.js";
import { Meta, volumeWwn } from "./names.js";
import { QOS_METADATA_KEYS, qosMetadata } from "./qos.js";
import { consumerBytesOf, formatBytes, imageBytesFor, roundVolumeBytes } from "./sizes.js";

/** Where a new volume's data comes from, resolved to something RBD can clone (or nothing: an empty image). */
export type VolumeSource =
  | { readonly kind: "empty" }
  | { readonly kind: "clone"; readonly parent: ParentRef; readonly what: string }
  | { readonly kind: "pending"; readonly outcome: ApplyOutcome<VolumeObservation> };

export type SourceResolver = (
  intent: VolumeIntent,
  ctx: OperationContext<VolumeObservation>,
  pool: string,
) => Promise<VolumeSource>;

/**
 * Realises a volume, level-based: whatever already exists (after a crash at any step) is checked and completed,
 * never redone. Steps: image (empty, or clone of a snapshot or cached IronCore image) → owner tags → LUKS2
 * format → size → QoS → access.
 */
export async function applyVolume(
  deps: BackendDeps,
  intent: VolumeIntent,
  ctx: OperationContext<VolumeObservation>,
  resolveSource: SourceResolver,
): Promise<ApplyOutcome<VolumeObservation>> {
  const { rbd } = deps;
  const signal = ctx.signal;
  const pool = ctx.placement?.pool ?? poolOfClass(deps, intent.class);
  const image = ctx.placement?.image ?? deps.names.volume(intent.id);
  const placement: Placement = { pool, image };
  const passphrase = passphraseOf(intent);
  const encrypted = passphrase !== undefined;
  const requested = intent.spec.resources?.storageBytes ?? 0n;
  const consumerBytes = roundVolumeBytes(requested);
  if (consumerBytes > deps.maxVolumeBytes) {
    throw new PermanentBackendError(
      "VolumeTooLarge",
      `${formatBytes(consumerBytes)} exceeds the largest volume this provider creates (${formatBytes(deps.maxVolumeBytes)})`,
    );
  }
  const targetBytes = imageBytesFor(consumerBytes, encrypted);

  let info = await rbd.info(pool, image, signal);
  if (!info) {
    const source = await resolveSource(intent, ctx, pool);
    if (source.kind === "pending") return { ...source.outcome, placement };
    if (source.kind === "empty") {
      await rbd.create(pool, image, targetBytes, signal);
      ctx.event(
        "Normal",
        "VolumeCreated",
        `Created RBD image ${pool}/${image} (${formatBytes(consumerBytes)})`,
      );
    } else {
      await rbd.clone(source.parent, pool, image, signal);
      ctx.event("Normal", "VolumeCloned", `Cloned RBD image ${pool}/${image} from ${source.what}`);
    }
    info = await rbd.info(pool, image, signal);
    if (!info) throw new Error(`RBD image ${pool}/${image} vanished right after it was created`);
  }
  const metadata = await rbd.metadata(pool, image, signal);

  const wwn = volumeWwn(deps.owner, intent.id);
  // A clone starts with a copy of its parent's metadata: the tags are always rewritten to this volume's.
  await setMissing(
    deps,
    pool,
    image,
    metadata,
    { [Meta.owner]: deps.owner, [Meta.id]: intent.id, [Meta.wwn]: wwn },
    signal,
  );

  await ensureEncryption(deps, ctx, pool, info, metadata, passphrase);

  const available = ctx.lastObservation?.state === volume.VolumeState.VOLUME_AVAILABLE;
  let visibleBytes = consumerBytes;
  if (info.size < targetBytes) {
    await rbd.resize(pool, image, targetBytes, signal);
    if (available)
      ctx.event("Normal", "VolumeExpanded", `Expanded ${pool}/${image} to ${formatBytes(consumerBytes)}`);
  } else if (info.size > targetBytes) {
    const sourceBytes = consumerBytesOf(info.size, encrypted);
    if (!available && info.parent) {
      throw new PermanentBackendError(
        "SourceLargerThanVolume",
        `the volume's source needs ${formatBytes(sourceBytes)} but the volume asks for ${formatBytes(consumerBytes)}`,
      );
    }
    // RBD images never shrink; the consumer keeps seeing what it saw.
    visibleBytes = sourceBytes;
  }

  await applyQos(deps, intent, pool, image, metadata, signal);

  const access = create(volume.VolumeAccessSchema, {
    driver: "ceph",
    handle: wwn,
    attributes: { monitors: deps.monitors, image: `${pool}/${image}` },
    secretData: {
      userID: new TextEncoder().encode(deps.consumer.id),
      userKey: new TextEncoder().encode(deps.consumer.key),
    },
  });
  return {
    observation: { state: volume.VolumeState.VOLUME_AVAILABLE, access, storageBytes: visibleBytes },
    placement,
  };
}

function passphraseOf(intent: VolumeIntent): Uint8Array | undefined {
  const encryption = intent.spec.encryption;
  if (!encryption) return undefined;
  const key = encryption.secretData.encryptionKey;
  if (!key || key.length === 0) {
    throw new PermanentBackendError("EncryptionKeyMissing", "spec.encryption has no non-empty encryptionKey");
  }
  return key;
}

async function ensureEncryption(
  deps: BackendDeps,
  ctx: OperationContext<VolumeObservation>,
  pool: string,
  info: ImageInfo,
  metadata: Record<string, string>,
  passphrase: Uint8Array | undefined,
): Promise<void> {
  const formatted = metadata[Meta.encryption] === "luks2";
  if (passphrase === undefined) {
    if (formatted) {
      throw new PermanentBackendError(
        "EncryptionKeyRequired",
        "the volume's source is LUKS2-encrypted: the volume needs the source's encryptionKey",
      );
    }
    return;
  }
  if (formatted) return;
  if (info.parent) {
    // Formatting a clone would put a header over the parent's plaintext: its data would read as garbage.
    throw new PermanentBackendError(
      "EncryptedCloneOfPlaintext",
      `an encrypted volume cannot be made from the unencrypted source ${info.parent.pool}/${info.parent.image}@${info.parent.snapshot}`,
    );
  }
  const image = info.name;
  await withSecretFile(deps.context.stateDir, passphrase, (file) =>
    deps.rbd.formatLuks2(pool, image, file, ctx.signal),
  );
  await deps.rbd.setMetadata(pool, image, Meta.encryption, "luks2", ctx.signal);
  ctx.event("Normal", "EncryptionFormatted", `Formatted ${pool}/${image} with LUKS2`);
}

async function applyQos(
  deps: BackendDeps,
  intent: VolumeIntent,
  pool: string,
  image: string,
  metadata: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const wanted = qosMetadata(intent.class.iops, intent.class.tps, deps.qos);
  await setMissing(deps, pool, image, metadata, Object.fromEntries(wanted), signal);
  const stale = QOS_METADATA_KEYS.filter((key) => metadata[key] !== undefined && !wanted.has(key));
  await Promise.all(stale.map((key) => deps.rbd.removeMetadata(pool, image, key, signal)));
}

/** Sets the keys whose value differs from `current` (in parallel: each is one short rbd call). */
async function setMissing(
  deps: BackendDeps,
  pool: string,
  image: string,
  current: Record<string, string>,
  wanted: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const changes = Object.entries(wanted).filter(([key, value]) => current[key] !== value);
  await Promise.all(changes.map(([key, value]) => deps.rbd.setMetadata(pool, image, key, value, signal)));
}
