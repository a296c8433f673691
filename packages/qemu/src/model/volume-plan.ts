import type { machine } from "@iri/api";
import { volumeKey } from "./device-keys.js";

/** The volume drivers this backend attaches (VolumeConnection.driver). */
export const SUPPORTED_VOLUME_DRIVERS = ["ceph"] as const;

/** Bytes librbd's LUKS2 format reserves for its header: an encrypted image shows this much less to the guest. */
export const LUKS2_HEADER_BYTES = 16n * 1024n * 1024n;

interface PlanCommon {
  readonly name: string;
  readonly device: string;
  /** See volumeKey. */
  readonly key: string;
  /** The virtio-blk device id and the block node name in QEMU. */
  readonly deviceId: string;
  readonly nodeId: string;
  /** The status handle (documented in the package README). */
  readonly handle: string;
}

export interface LocalVolumePlan extends PlanCommon {
  readonly kind: "local";
  /** 0: the image's size, or the backend's empty-disk default. */
  readonly sizeBytes: bigint;
  readonly image?: string;
}

export interface CephServer {
  readonly host: string;
  readonly port: string;
}

export interface CephVolumePlan extends PlanCommon {
  readonly kind: "ceph";
  readonly pool: string;
  readonly namespace?: string;
  readonly image: string;
  readonly servers: readonly CephServer[];
  readonly user: string;
  /** QEMU secret object ids; the values travel only over QMP. */
  readonly keySecretId: string;
  readonly keyBase64: string;
  readonly passphrase?: { readonly secretId: string; readonly base64: string };
  /** What the guest should see: effective_storage_bytes, less the LUKS2 header when encrypted. */
  readonly guestBytes: bigint;
}

export type VolumePlan = LocalVolumePlan | CephVolumePlan;

/** A spec volume this backend cannot attach; the message says which field is wrong. */
export class InvalidVolumeError extends Error {
  override readonly name = "InvalidVolumeError";
}

const DEVICE_PATTERN = /^[a-z][a-z0-9]{0,19}$/;

/**
 * What is wrong with a spec volume for this backend, or undefined. The provider's CreateMachine and
 * AttachVolume call this (through the backend's validation hook) to answer InvalidArgument.
 */
export function volumeProblem(volume: machine.Volume): string | undefined {
  try {
    planVolume("validation", volume);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidVolumeError) return error.message;
    throw error;
  }
}

export function planVolume(machineId: string, volume: machine.Volume): VolumePlan {
  const where = `volume ${JSON.stringify(volume.name)}`;
  if (volume.name === "") throw new InvalidVolumeError("volume name is empty");
  if (!DEVICE_PATTERN.test(volume.device)) {
    throw new InvalidVolumeError(
      `${where}: device ${JSON.stringify(volume.device)} must match ${DEVICE_PATTERN.source}`,
    );
  }
  if (volume.localDisk && volume.connection) {
    throw new InvalidVolumeError(`${where}: set either local_disk or connection, not both`);
  }
  const key = volumeKey(volume);
  const common = { name: volume.name, device: volume.device, key, deviceId: `vd${key}`, nodeId: `vn${key}` };
  if (!volume.connection) {
    const sizeBytes = volume.localDisk?.sizeBytes ?? 0n;
    if (sizeBytes < 0n) throw new InvalidVolumeError(`${where}: local_disk.size_bytes is negative`);
    const image = volume.localDisk?.image?.image;
    return {
      ...common,
      kind: "local",
      sizeBytes,
      handle: `local-disk/${machineId}/${volume.name}`,
      ...(image ? { image } : {}),
    };
  }
  return planCephVolume(common, volume.connection, where);
}

function planCephVolume(
  common: Omit<PlanCommon, "handle">,
  connection: machine.VolumeConnection,
  where: string,
): CephVolumePlan {
  if (connection.driver !== "ceph") {
    throw new InvalidVolumeError(
      `${where}: driver ${JSON.stringify(connection.driver)} is not supported (supported: ${SUPPORTED_VOLUME_DRIVERS.join(", ")})`,
    );
  }
  if (connection.handle === "") throw new InvalidVolumeError(`${where}: connection.handle is empty`);
  const monitors = connection.attributes.monitors ?? "";
  const servers = monitors
    .split(",")
    .filter((entry) => entry !== "")
    .map((entry) => parseHostPort(entry, where));
  if (servers.length === 0)
    throw new InvalidVolumeError(`${where}: attribute monitors is missing (host:port,…)`);
  const parts = (connection.attributes.image ?? "").split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === "")) {
    throw new InvalidVolumeError(`${where}: attribute image must be pool/image or pool/namespace/image`);
  }
  const user = new TextDecoder().decode(connection.secretData.userID ?? new Uint8Array());
  const userKey = new TextDecoder().decode(connection.secretData.userKey ?? new Uint8Array()).trim();
  if (user === "") throw new InvalidVolumeError(`${where}: secret userID is missing`);
  // The key's format is librbd's to judge (a wrong key fails the attach with its message).
  if (userKey === "") throw new InvalidVolumeError(`${where}: secret userKey is missing`);
  const hasEncryption = Object.keys(connection.encryptionData).length > 0;
  const passphrase = connection.encryptionData.encryptionKey;
  if (hasEncryption && (!passphrase || passphrase.length === 0)) {
    throw new InvalidVolumeError(`${where}: encryption_data is set but encryptionKey is missing or empty`);
  }
  if (connection.effectiveStorageBytes < 0n) {
    throw new InvalidVolumeError(`${where}: effective_storage_bytes is negative`);
  }
  const guestBytes = connection.effectiveStorageBytes - (hasEncryption ? LUKS2_HEADER_BYTES : 0n);
  const [pool = "", middle = "", last] = parts;
  return {
    ...common,
    kind: "ceph",
    handle: `ceph/${connection.handle}`,
    pool,
    ...(last === undefined ? { image: middle } : { namespace: middle, image: last }),
    servers,
    user,
    keySecretId: `sk${common.key}`,
    keyBase64: userKey,
    ...(passphrase && hasEncryption
      ? { passphrase: { secretId: `sp${common.key}`, base64: Buffer.from(passphrase).toString("base64") } }
      : {}),
    guestBytes: guestBytes > 0n ? guestBytes : 0n,
  };
}

function parseHostPort(entry: string, where: string): CephServer {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry.trim());
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new InvalidVolumeError(`${where}: monitor ${JSON.stringify(entry)} is not host:port`);
  }
  return { host: match[1] ?? match[2] ?? "", port: String(port) };
}
