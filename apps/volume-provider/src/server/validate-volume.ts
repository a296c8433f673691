import type { volume } from "@iri/api";
import type { VolumeClassConfig } from "@iri/backend-api";
import { invalidArgument, LIMITS } from "@iri/runtime-kit";

/** The key in encryption secret_data holding the LUKS passphrase, as IronCore's machine providers read it. */
export const ENCRYPTION_KEY = "encryptionKey";

export function validateVolumeSpec(
  spec: volume.VolumeSpec,
  classes: readonly VolumeClassConfig[],
  maxVolumeBytes: bigint,
): void {
  if (spec.class === "") throw invalidArgument("spec.class must be set");
  if (!classes.some((c) => c.name === spec.class)) {
    throw invalidArgument(`spec.class: unknown volume class ${JSON.stringify(spec.class)}`);
  }
  validateStorageBytes(spec.resources, "spec.resources", maxVolumeBytes);
  if (spec.encryption && (spec.encryption.secretData[ENCRYPTION_KEY]?.length ?? 0) === 0) {
    throw invalidArgument(`spec.encryption.secret_data.${ENCRYPTION_KEY} must be set`);
  }
  const source = spec.volumeDataSource;
  if (source) {
    if (source.imageDataSource && source.snapshotDataSource) {
      throw invalidArgument(
        "spec.volume_data_source: at most one of image_data_source and snapshot_data_source",
      );
    }
    if (source.imageDataSource && source.imageDataSource.image === "") {
      throw invalidArgument("spec.volume_data_source.image_data_source.image must be set");
    }
    if (source.snapshotDataSource && source.snapshotDataSource.snapshotId === "") {
      throw invalidArgument("spec.volume_data_source.snapshot_data_source.snapshot_id must be set");
    }
  }
}

/** Positive and at most `maxVolumeBytes` (--max-volume-bytes, itself capped by LIMITS.diskBytes). */
export function validateStorageBytes(
  resources: volume.VolumeResources | undefined,
  field: string,
  maxVolumeBytes: bigint,
): asserts resources is volume.VolumeResources {
  if (!resources) throw invalidArgument(`${field} must be set`);
  if (resources.storageBytes <= 0n) throw invalidArgument(`${field}.storage_bytes must be positive`);
  const max = maxVolumeBytes < LIMITS.diskBytes ? maxVolumeBytes : LIMITS.diskBytes;
  if (resources.storageBytes > max) {
    throw invalidArgument(
      `${field}.storage_bytes ${resources.storageBytes} is larger than the largest volume this provider creates (${max})`,
    );
  }
}
