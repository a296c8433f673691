import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { unavailable } from "@iri/runtime-kit";
import type { VolumeServerContext } from "./context.js";

/**
 * Quantity per class is a total in bytes: what the class's volumes hold plus what its pool can still
 * provision (the volumepoollet subtracts its volumes' sizes itself). Each class answers from its pool's last
 * good reading, re-read in the background (one read at a time): one pool that cannot be read never fails the
 * others. Unavailable only while no pool was ever read.
 */
export async function status(
  ctx: VolumeServerContext,
  _req: volume.StatusRequest,
): Promise<MessageInitShape<typeof volume.StatusResponseSchema>> {
  const refreshing = ctx.capacity.refreshOnce();
  if (ctx.capacity.anyRead) refreshing.catch(() => undefined);
  else
    await refreshing.catch((err: unknown) => {
      // Never read: the caller may ask again (a poollet does); a backend's failure is not the caller's.
      if (!ctx.capacity.anyRead)
        throw unavailable(`no pool capacity was read yet: ${(err as Error).message}`);
    });
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
