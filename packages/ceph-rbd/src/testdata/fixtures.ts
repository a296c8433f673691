import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { SnapshotSource, VolumeClassConfig, VolumeIntent } from "@iri/backend-api";
import { extentDiff } from "../rootfs-population.js";
import { adminTool } from "./test-cluster.js";

export const MiB = 1n << 20n;

export function volumeClass(name: string, pool: string, iops = 3000n, tps = 100n * MiB): VolumeClassConfig {
  return { name, iops, tps, settings: { pool } };
}

export function volumeIntent(
  id: string,
  cls: VolumeClassConfig,
  bytes: bigint,
  extra: { passphrase?: string; snapshot?: SnapshotSource; image?: string } = {},
): VolumeIntent {
  const spec = create(volume.VolumeSpecSchema, {
    class: cls.name,
    resources: { storageBytes: bytes },
    ...(extra.passphrase !== undefined
      ? { encryption: { secretData: { encryptionKey: new TextEncoder().encode(extra.passphrase) } } }
      : {}),
    ...(extra.snapshot
      ? { volumeDataSource: { snapshotDataSource: { snapshotId: extra.snapshot.id } } }
      : {}),
    ...(extra.image
      ? { volumeDataSource: { imageDataSource: { image: extra.image, architecture: "amd64" } } }
      : {}),
  });
  return { id, labels: {}, class: cls, spec, ...(extra.snapshot ? { snapshot: extra.snapshot } : {}) };
}

/** Writes `data` at offset 0 of an existing image of `imageBytes` (as the admin). */
export async function writeImage(spec: string, imageBytes: bigint, data: Buffer): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of extentDiff([data], { format: 1, imageBytes, bytes: data.length }))
    chunks.push(Buffer.from(chunk));
  await adminTool("rbd", ["import-diff", "-", spec], Buffer.concat(chunks));
}

/** Bytes none of which is zero, so that sparse writing cannot skip any. */
export function patterned(bytes: number, seed: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = ((i * 31 + seed * 7 + (i >> 12)) & 0xff) | 1;
  return data;
}
