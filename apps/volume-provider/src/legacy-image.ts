import { create } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { volume } from "@iri/api";
import { invalidArgument } from "@iri/runtime-kit";

/** `VolumeSpec.image`, deprecated and reserved upstream, still sent by the v0.3.x/v0.4.x volumepoollets. */
const LEGACY_IMAGE_FIELD = 1;

/**
 * The spec with a deprecated `image` (kept by protobuf-es among the message's unknown fields, because our proto
 * is upstream's, where the field is reserved) moved into `volume_data_source.image_data_source`, the field that
 * replaced it. Both set to different images → InvalidArgument. Without the field the spec is returned as is.
 */
export function withLegacyImage(spec: volume.VolumeSpec): volume.VolumeSpec {
  const unknown = spec.$unknown ?? [];
  const legacy = unknown.filter((f) => f.no === LEGACY_IMAGE_FIELD);
  if (legacy.length === 0) return spec;
  const image = legacyImage(legacy);
  const rest = unknown.filter((f) => f.no !== LEGACY_IMAGE_FIELD);
  const normalized = create(volume.VolumeSpecSchema, {
    ...spec,
    $unknown: rest.length > 0 ? rest : undefined,
  });
  if (image === "") return normalized;
  const current = spec.volumeDataSource?.imageDataSource;
  if (current && current.image !== image) {
    throw invalidArgument(
      `spec.image (deprecated) ${JSON.stringify(image)} conflicts with spec.volume_data_source.image_data_source.image ${JSON.stringify(current.image)}`,
    );
  }
  normalized.volumeDataSource = create(volume.VolumeDataSourceSchema, {
    imageDataSource: current ?? { image },
    snapshotDataSource: spec.volumeDataSource?.snapshotDataSource,
  });
  return normalized;
}

/** A repeated scalar field on the wire: the last occurrence wins, as for any proto3 singular field. */
function legacyImage(fields: readonly { wireType: WireType; data: Uint8Array }[]): string {
  const last = fields[fields.length - 1] as { wireType: WireType; data: Uint8Array };
  if (last.wireType !== WireType.LengthDelimited) {
    throw invalidArgument("spec.image (deprecated, field 1) must be a string");
  }
  try {
    // The preserved bytes are the field's value as on the wire: its length prefix, then UTF-8.
    return new BinaryReader(last.data).string(true);
  } catch {
    throw invalidArgument("spec.image (deprecated, field 1) is not valid UTF-8");
  }
}
