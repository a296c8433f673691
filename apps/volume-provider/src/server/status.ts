import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";

/**
 * Quantity per class is a total in bytes: what the class's volumes hold plus what its pool can still
 * provision (the volumepoollet subtracts its volumes' sizes itself). Unavailable while the backend cannot
 * tell its pools' capacity.
 */
export async function status(
  ctx: VolumeServerContext,
  _req: volume.StatusRequest,
): Promise<MessageInitShape<typeof volume.StatusResponseSchema>> {
  await ctx.capacity.refresh();
  const totals = ctx.capacity.totals();
  return {
    volumeClassStatus: ctx.classes.map((cls) =>
      create(volume.VolumeClassStatusSchema, {
        volumeClass: { name: cls.name, capabilities: { tps: cls.tps, iops: cls.iops } },
        quantity: totals.get(cls.name) ?? 0n,
      }),
    ),
  };
}
