const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** librbd's LUKS2 format puts its header in the first 16 MiB of the image; the consumer sees the rest. */
export const LUKS2_HEADER_BYTES = 16n * MiB;

/** Rounds a requested size up like IronCore's ceph-provider: to a MiB below 1 GiB, to a GiB from there on. */
export function roundVolumeBytes(requested: bigint): bigint {
  const unit = requested < GiB ? MiB : GiB;
  return ((requested + unit - 1n) / unit) * unit;
}

/** The RBD image size that shows `consumerBytes` to the consumer. */
export function imageBytesFor(consumerBytes: bigint, encrypted: boolean): bigint {
  return encrypted ? consumerBytes + LUKS2_HEADER_BYTES : consumerBytes;
}

/** What the consumer of an image of `imageBytes` sees. */
export function consumerBytesOf(imageBytes: bigint, encrypted: boolean): bigint {
  if (!encrypted) return imageBytes;
  return imageBytes > LUKS2_HEADER_BYTES ? imageBytes - LUKS2_HEADER_BYTES : 0n;
}

export function formatBytes(bytes: bigint): string {
  if (bytes >= GiB && bytes % GiB === 0n) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0n) return `${bytes / MiB} MiB`;
  return `${bytes} bytes`;
}
