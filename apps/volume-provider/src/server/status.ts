import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";

/** Quantity per class is the bytes its backing storage can still take. */
export async function status(
  ctx: VolumeServerContext,
  _req: volume.StatusRequest,
): Promise<MessageInitShape<typeof volume.StatusResponseSchema>> {
  const volumeClassStatus = await Promise.all(
    ctx.classes.map(async (cls) =>
      create(volume.VolumeClassStatusSchema, {
        volumeClass: { name: cls.name, capabilities: { tps: cls.tps, iops: cls.iops } },
        quantity: await ctx.backend.availableBytes(cls),
      }),
    ),
  );
  return { volumeClassStatus };
}
