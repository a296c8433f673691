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
  const existing = getLiveVolume(ctx, req.volumeId);
  const resources = req.resources;
  validateStorageBytes(resources, "resources", ctx.maxVolumeBytes);
  const cls = ctx.classes.find((c) => c.name === existing.spec.class);
  const growth = resources.storageBytes - (existing.spec.resources?.storageBytes ?? 0n);
  const release = cls && growth > 0n ? await ctx.capacity.admit(cls.name, growth) : undefined;
  try {
    await grow(ctx, req.volumeId, resources);
  } finally {
    release?.();
  }
  return {};
}

async function grow(
  ctx: VolumeServerContext,
  volumeId: string,
  resources: volume.VolumeResources,
): Promise<void> {
  await ctx.volumes.mutate(volumeId, (current) => {
    const size = current.spec.resources?.storageBytes ?? 0n;
    if (resources.storageBytes === size) return undefined;
    if (resources.storageBytes < size) {
      throw failedPrecondition(
        `volume ${JSON.stringify(volumeId)} is ${size} bytes; volumes can only grow (asked for ${resources.storageBytes})`,
      );
    }
    return {
      spec: create(volume.VolumeSpecSchema, {
        ...current.spec,
        resources: create(volume.VolumeResourcesSchema, { storageBytes: resources.storageBytes }),
      }),
    };
  });
}
