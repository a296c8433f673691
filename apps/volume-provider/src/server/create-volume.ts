import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { createRecord, invalidArgument, validateStringMap } from "@iri/runtime-kit";
import { BACKEND_FINALIZER, toVolume } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";
import { validateVolumeSpec } from "./validate-volume.js";

export async function createVolume(
  ctx: VolumeServerContext,
  req: volume.CreateVolumeRequest,
): Promise<MessageInitShape<typeof volume.CreateVolumeResponseSchema>> {
  const spec = req.volume?.spec;
  if (!req.volume || !spec) throw invalidArgument("volume.spec must be set");
  const metadata = req.volume.metadata;
  validateStringMap(metadata?.labels ?? {}, "metadata.labels");
  validateStringMap(metadata?.annotations ?? {}, "metadata.annotations");
  validateVolumeSpec(spec, ctx.classes);

  const record = await createRecord(ctx.volumes, {
    requestedId: metadata?.id ?? "",
    labels: { ...metadata?.labels },
    annotations: { ...metadata?.annotations },
    finalizers: [BACKEND_FINALIZER],
    spec,
    // Until the backend reports, the consumer sees the size it asked for.
    status: create(volume.VolumeStatusSchema, {
      state: volume.VolumeState.VOLUME_PENDING,
      resources: { storageBytes: spec.resources?.storageBytes ?? 0n },
    }),
    isSameRequest: (existing) => equals(volume.VolumeSpecSchema, existing.spec, spec),
  });
  return { volume: toVolume(record) };
}
