import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { failedPrecondition } from "@iri/runtime-kit";
import type { VolumeServerContext } from "./context.js";
import { getLiveVolume } from "./lookup.js";
import { validateStorageBytes } from "./validate-volume.js";

/** Grow only; the same size again is a no-op. */
export async function expandVolume(
  ctx: VolumeServerContext,
  req: volume.ExpandVolumeRequest,
): Promise<Record<string, never>> {
  getLiveVolume(ctx, req.volumeId);
  const resources = req.resources;
  validateStorageBytes(resources, "resources");
  await ctx.volumes.mutate(req.volumeId, (current) => {
    const size = current.spec.resources?.storageBytes ?? 0n;
    if (resources.storageBytes === size) return undefined;
    if (resources.storageBytes < size) {
      throw failedPrecondition(
        `volume ${JSON.stringify(req.volumeId)} is ${size} bytes; volumes can only grow (asked for ${resources.storageBytes})`,
      );
    }
    return {
      spec: create(volume.VolumeSpecSchema, {
        ...current.spec,
        resources: create(volume.VolumeResourcesSchema, { storageBytes: resources.storageBytes }),
      }),
    };
  });
  return {};
}
