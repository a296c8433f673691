import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { createRecord, invalidArgument, ProviderError, recordRefusedCreate } from "@iri/runtime-kit";
import { withLegacyImage } from "../legacy-image.js";
import { resolveSnapshot } from "../snapshot-source.js";
import { BACKEND_FINALIZER, RESTORE_SNAPSHOT_ID, toVolume } from "../volume-store.js";
import type { VolumeServerContext } from "./context.js";
import { validateVolumeSpec } from "./validate-volume.js";

export async function createVolume(
  ctx: VolumeServerContext,
  req: volume.CreateVolumeRequest,
): Promise<MessageInitShape<typeof volume.CreateVolumeResponseSchema>> {
  if (!req.volume?.spec) throw invalidArgument("volume.spec must be set");
  const spec = withLegacyImage(req.volume.spec);
  const metadata = req.volume.metadata;
  const labels = { ...metadata?.labels };
  // The metadata's id, labels and annotations were checked where the request entered (runtime-kit's request limits).
  validateVolumeSpec(spec, ctx.classes, ctx.maxVolumeBytes);
  const cls = ctx.classes.find((c) => c.name === spec.class);
  const size = spec.resources?.storageBytes ?? 0n;
  const snapshotId = spec.volumeDataSource?.snapshotDataSource?.snapshotId;
  const requestedId = metadata?.id ?? "";
  const annotations = { ...metadata?.annotations };
  if (RESTORE_SNAPSHOT_ID in annotations)
    throw invalidArgument(`metadata.annotations: ${RESTORE_SNAPSHOT_ID} is the provider's own`);
  let release: (() => void) | undefined;
  if (!ctx.volumes.get(requestedId)) {
    try {
      if (snapshotId !== undefined) {
        // Resolved once, here: the volume keeps the id, whatever the name matches later.
        const snapshot = resolveSnapshot(ctx.snapshots, snapshotId, labels);
        if (snapshot.status.size > size) {
          throw invalidArgument(
            `spec.resources.storage_bytes: ${size} is smaller than snapshot ${JSON.stringify(snapshotId)} (${snapshot.status.size} bytes)`,
          );
        }
        annotations[RESTORE_SNAPSHOT_ID] = snapshot.metadata.id;
      }
      // Admitted and its bytes reserved in one step: concurrent creates cannot overcommit.
      if (cls) release = await ctx.capacity.admit(cls.name, size);
    } catch (err) {
      if (err instanceof ProviderError && err.code !== Code.InvalidArgument) {
        recordRefusedCreate(ctx.events, { id: requestedId, labels }, refusalReason(err.code), err.message);
      }
      throw err;
    }
  }
  try {
    const record = await createRecord(ctx.volumes, {
      requestedId,
      labels,
      annotations,
      finalizers: [BACKEND_FINALIZER],
      spec,
      // Until the backend reports, the consumer sees the size it asked for.
      status: create(volume.VolumeStatusSchema, {
        state: volume.VolumeState.VOLUME_PENDING,
        resources: { storageBytes: size },
      }),
      isSameRequest: (existing) => equals(volume.VolumeSpecSchema, existing.spec, spec),
    });
    return { volume: toVolume(record) };
  } finally {
    release?.();
  }
}

function refusalReason(code: Code): string {
  if (code === Code.ResourceExhausted) return "InsufficientCapacity";
  if (code === Code.NotFound) return "SnapshotNotFound";
  return "CreateRefused";
}
