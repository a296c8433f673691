import type { ConnectRouter } from "@connectrpc/connect";
import { volume } from "@iri/api";
import type { VolumeServerContext } from "./context.js";
import { createVolume } from "./create-volume.js";
import { createVolumeSnapshot } from "./create-volume-snapshot.js";
import { deleteVolume } from "./delete-volume.js";
import { deleteVolumeSnapshot } from "./delete-volume-snapshot.js";
import { expandVolume } from "./expand-volume.js";
import { listEvents } from "./list-events.js";
import { listVolumeSnapshots } from "./list-volume-snapshots.js";
import { listVolumes } from "./list-volumes.js";
import { status } from "./status.js";
import { version } from "./version.js";

/** Registers volume.v1alpha1.VolumeRuntime: one handler per RPC, each in its own file. */
export function registerVolumeRuntime(router: ConnectRouter, ctx: VolumeServerContext): void {
  router.service(volume.VolumeRuntime, {
    version: (req) => version(ctx, req),
    listEvents: (req) => listEvents(ctx, req),
    listVolumes: (req, context) => listVolumes(ctx, req, context),
    createVolume: (req) => createVolume(ctx, req),
    expandVolume: (req) => expandVolume(ctx, req),
    deleteVolume: (req) => deleteVolume(ctx, req),
    createVolumeSnapshot: (req) => createVolumeSnapshot(ctx, req),
    deleteVolumeSnapshot: (req) => deleteVolumeSnapshot(ctx, req),
    listVolumeSnapshots: (req, context) => listVolumeSnapshots(ctx, req, context),
    status: (req) => status(ctx, req),
  });
}
