import { volume } from "@iri/api";
import {
  type ApplyOutcome,
  type OperationContext,
  PermanentBackendError,
  type VolumeIntent,
  type VolumeObservation,
} from "@iri/backend-api";
import { type BackendDeps, notifyWhenSettled, poolOfClass } from "./backend-deps.js";
import type { ImageInfo, ParentRef } from "./cli/rbd.js";
import { type CopyTarget, copyIntoEncrypted } from "./encrypted-copy.js";
import { Meta, volumeWwn } from "./names.js";
import { volumeTagsOf } from "./owned-images.js";
import { QOS_METADATA_KEYS, qosMetadata } from "./qos.js";
import { withSecretPipes } from "./secret-pipes.js";
import { consumerBytesOf, formatBytes, imageBytesFor, roundVolumeBytes } from "./sizes.js";
import { ensureVolumeAccess } from "./volume-access.js";
import { confirmSteadyVolume, NO_QOS, Recorded } from "./volume-resync.js";

/** Where a new volume's data comes from, resolved to something RBD can clone (or nothing: an empty image). */
export type VolumeSource =
  | { readonly kind: "empty" }
  | CloneSource
  | { readonly kind: "pending"; readonly outcome: ApplyOutcome<VolumeObservation> };

export interface CloneSource {
  readonly kind: "clone";
  readonly parent: ParentRef;
  readonly what: string;
  /** As the provider recorded it; undefined: not recorded (read from the parent's metadata). */
  readonly encrypted?: boolean;
  /**
   * Makes the clone, guarded against the parent going away meanwhile; resolves to what is known of the new
   * clone when it made it (undefined: the clone existed, or it is to be read).
   */
  clone(pool: string, image: string, signal: AbortSignal): Promise<MadeClone | undefined>;
}

export interface MadeClone {
  /** The clone's size: its parent snapshot's. */
  readonly bytes: bigint;
  /** With the parent's RBD id. */
  readonly parent: ParentRef & { readonly id: string };
}

export type SourceResolver = (
  intent: VolumeIntent,
  ctx: OperationContext<VolumeObservation>,
  pool: string,
) => Promise<VolumeSource>;

/**
 * Realises a volume, level-based: whatever already exists (after a crash at any step) is checked and completed,
 * never redone. Steps: image (empty, or clone of a snapshot or cached IronCore image) → owner tags → LUKS2
 * format → size → QoS → the volume's own cephx user → access.
 *
 * What the provider trusts about the image (encrypted, filled, its cephx user) lives in the placement, which
 * the provider's store keeps: the image's metadata is writable with the volume's own key. Only a placement
 * written before this was recorded (`encryption` unset) is completed from the metadata, once.
 */
export async function applyVolume(
  deps: BackendDeps,
  intent: VolumeIntent,
  ctx: OperationContext<VolumeObservation>,
  resolveSource: SourceResolver,
): Promise<ApplyOutcome<VolumeObservation>> {
  const steady = await confirmSteadyVolume(deps, intent, ctx);
  if (steady) return steady;
  const { rbd } = deps;
  const signal = ctx.signal;
  const pool = ctx.placement?.pool ?? poolOfClass(deps, intent.class);
  const image = ctx.placement?.image ?? deps.names.volume(intent.id);
  const passphrase = passphraseOf(intent);
  const encrypted = passphrase !== undefined;
  const requested = intent.spec.resources?.storageBytes ?? 0n;
  const consumerBytes = roundVolumeBytes(requested);
  const targetBytes = imageBytesFor(consumerBytes, encrypted);

  const wwn = volumeWwn(deps.owner, intent.id);
  // A clone starts with a copy of its parent's metadata: the tags are always rewritten to this volume's.
  const tags = volumeTagsOf(deps, intent.id, wwn, ctx.tag);
  const qos = Object.fromEntries(qosMetadata(intent.class.iops, intent.class.tps, deps.qos));

  // A first apply (no placement recorded) makes the image without looking first: the create or clone
  // itself answers whether it exists (after a crash before the placement was recorded). An image made here
  // is known (size, parent) but for its RBD id.
  let info = ctx.placement ? await rbd.info(pool, image, signal) : undefined;
  let made: { readonly bytes: bigint; readonly parent?: ParentRef } | undefined;
  // Whether the image carries a LUKS2 header: known when it is made here, else as recorded.
  let formatted: boolean | undefined;
  // What the image's metadata holds, where this apply knows it without reading it.
  let metadata: Record<string, string> | undefined;
  if (!info) {
    const source = await resolveSource(intent, ctx, pool);
    if (source.kind === "pending") return { ...source.outcome, placement: { pool, image } };
    const sourceEncrypted = source.kind === "clone" && (await isEncrypted(deps, source, signal));
    // An encrypted volume from an unencrypted source is an empty image filled through the encryption below.
    const copyLater = source.kind === "clone" && encrypted && !sourceEncrypted;
    if (source.kind === "empty" || copyLater) {
      // A plain empty image is created, tagged and sized by one process; an encrypted one keeps `create`
      // (its tags go on before the format either way). An image that exists is read and completed below.
      const written = encrypted ? undefined : { ...tags, ...qos };
      const created = written
        ? await rbd.createWithMetadata(pool, image, targetBytes, written, signal)
        : await rbd.create(pool, image, targetBytes, signal);
      if (created) {
        formatted = false;
        metadata = written ?? {};
        made = { bytes: targetBytes };
        ctx.event(
          "Normal",
          "VolumeCreated",
          `Created RBD image ${pool}/${image} (${formatBytes(consumerBytes)})`,
        );
      }
    } else {
      made = await source.clone(pool, image, signal);
      formatted = sourceEncrypted;
      // A clone copies its parent's metadata. A cached IronCore image's is written by the provider's key
      // only and holds no volume tags and no QoS: nothing of it is compared below (a snapshot's is read).
      if (source.parent.image.startsWith(deps.names.cachePrefix)) metadata = {};
      ctx.event("Normal", "VolumeCloned", `Cloned RBD image ${pool}/${image} from ${source.what}`);
    }
    const id = made && (await rbd.imageId(pool, image, signal));
    info =
      made && id
        ? { name: image, id, size: made.bytes, ...(made.parent ? { parent: made.parent } : {}) }
        : await rbd.info(pool, image, signal);
    if (!info) throw new Error(`RBD image ${pool}/${image} vanished right after it was created`);
  }
  metadata ??= await rbd.metadata(pool, image, signal);
  const recorded = ctx.placement?.encryption;
  formatted ??= recorded === undefined ? metadata[Meta.encryption] === "luks2" : recorded === "luks2";

  // Without encryption the tags, the size and the QoS are independent calls: made at once. With it, the
  // image is tagged before it is formatted (a crash leaves an image the orphan proof recognises).
  const plain = passphrase === undefined && !formatted;
  const tagging = setMissing(deps, pool, image, metadata, tags, signal);
  if (!plain) await tagging;

  formatted = await ensureEncryption(deps, ctx, pool, info, formatted, passphrase);
  const placement: Record<string, string> = { pool, image, encryption: formatted ? "luks2" : "none" };
  if (passphrase && !info.parent && intent.spec.volumeDataSource) {
    const filled = recorded === undefined ? metadata[Meta.filled] === "1" : ctx.placement?.filled === "1";
    const pending = await fillEncrypted(
      deps,
      intent,
      ctx,
      { pool, image, passphrase },
      filled,
      resolveSource,
    );
    if (pending) return { ...pending, placement };
    placement.filled = "1";
  }

  const available = ctx.lastObservation?.state === volume.VolumeState.VOLUME_AVAILABLE;
  let visibleBytes = consumerBytes;
  let resizing: Promise<void> | undefined;
  if (info.size < targetBytes) {
    resizing = rbd.resize(pool, image, targetBytes, signal);
    if (available)
      ctx.event("Normal", "VolumeExpanded", `Expanded ${pool}/${image} to ${formatBytes(consumerBytes)}`);
  } else if (info.size > targetBytes) {
    const sourceBytes = consumerBytesOf(info.size, encrypted);
    if (!available && info.parent) {
      await tagging;
      throw new PermanentBackendError(
        "SourceLargerThanVolume",
        `the volume's source needs ${formatBytes(sourceBytes)} but the volume asks for ${formatBytes(consumerBytes)}`,
      );
    }
    // RBD images never shrink; the consumer keeps seeing what it saw.
    visibleBytes = sourceBytes;
  }

  await Promise.all([tagging, resizing, applyQos(deps, qos, pool, image, metadata, signal)]);

  const { access, record } = await ensureVolumeAccess(deps, ctx, intent.id, pool, info, wwn);
  return {
    observation: { state: volume.VolumeState.VOLUME_AVAILABLE, access, storageBytes: visibleBytes },
    placement: {
      ...placement,
      ...record,
      [Recorded.rbdId]: info.id,
      [Recorded.qos]: Object.keys(qos).length > 0 ? "class" : NO_QOS,
    },
  };
}

/** Whether a clone source carries a LUKS2 header: as recorded with its snapshot, else from its metadata. */
async function isEncrypted(deps: BackendDeps, source: CloneSource, signal: AbortSignal): Promise<boolean> {
  if (source.encrypted !== undefined) return source.encrypted;
  const { pool, image } = source.parent;
  return (await deps.rbd.metadataValue(pool, image, Meta.encryption, signal)) === "luks2";
}

const FILL_POLL_MS = 1_000;

/**
 * Copies the volume's unencrypted source into its (formatted) image through the encryption, as a background
 * job; resolves to a pending outcome while it runs, undefined once the image holds the data (the caller
 * records `filled`). A crash before that is recorded runs the copy again, whole: the volume was never handed out.
 */
async function fillEncrypted(
  deps: BackendDeps,
  intent: VolumeIntent,
  ctx: OperationContext<VolumeObservation>,
  target: CopyTarget,
  filled: boolean,
  resolveSource: SourceResolver,
): Promise<ApplyOutcome<VolumeObservation> | undefined> {
  const key = `fill ${target.pool}/${target.image}`;
  const { jobs } = deps.context;
  if (filled) {
    jobs.forget(key);
    return undefined;
  }
  const source = await resolveSource(intent, ctx, target.pool);
  if (source.kind === "pending") return source.outcome;
  if (source.kind === "empty") return undefined;
  const state = jobs.ensure(key, async (job) => {
    const connection = { monitors: deps.monitors, ...deps.admin, secretDir: deps.context.stateDir };
    await copyIntoEncrypted(connection, source.parent, target, job.signal);
    notifyWhenSettled(deps, [intent.id]);
  });
  const message = `Copying ${source.what} into the encrypted volume ${target.pool}/${target.image}`;
  if (state.status === "running") {
    return {
      observation: { state: volume.VolumeState.VOLUME_PENDING, storageBytes: 0n },
      notDone: { afterMs: FILL_POLL_MS, reason: "FillingEncryptedVolume", message },
    };
  }
  jobs.forget(key);
  if (state.status === "failed") throw state.error;
  ctx.event("Normal", "EncryptedVolumeFilled", `Copied ${source.what} into ${target.pool}/${target.image}`);
  return undefined;
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

/** Formats the image with LUKS2 unless it is already; resolves to whether it carries a LUKS2 header. */
async function ensureEncryption(
  deps: BackendDeps,
  ctx: OperationContext<VolumeObservation>,
  pool: string,
  info: ImageInfo,
  formatted: boolean,
  passphrase: Uint8Array | undefined,
): Promise<boolean> {
  if (passphrase === undefined) {
    if (formatted) {
      throw new PermanentBackendError(
        "EncryptionKeyRequired",
        "the volume's source is LUKS2-encrypted: the volume needs the source's encryptionKey",
      );
    }
    return false;
  }
  if (formatted) return true;
  if (info.parent) {
    // Formatting a clone would put a header over the parent's plaintext: its data would read as garbage.
    throw new PermanentBackendError(
      "EncryptedCloneOfPlaintext",
      `an encrypted volume cannot be made from the unencrypted source ${info.parent.pool}/${info.parent.image}@${info.parent.snapshot}`,
    );
  }
  const image = info.name;
  await withSecretPipes(deps.context.stateDir, [passphrase], ([file]) =>
    deps.rbd.formatLuks2(pool, image, file as string, ctx.signal),
  );
  // Read only for a crash before the placement records it (the volume was never handed out then).
  await deps.rbd.setMetadata(pool, image, Meta.encryption, "luks2", ctx.signal);
  ctx.event("Normal", "EncryptionFormatted", `Formatted ${pool}/${image} with LUKS2`);
  return true;
}

/** Writes the class's QoS keys and removes stale ones. */
async function applyQos(
  deps: BackendDeps,
  wanted: Record<string, string>,
  pool: string,
  image: string,
  metadata: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  await setMissing(deps, pool, image, metadata, wanted, signal);
  const stale = QOS_METADATA_KEYS.filter((key) => metadata[key] !== undefined && wanted[key] === undefined);
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
