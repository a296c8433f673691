import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VolumeBackend, VolumeClassConfig } from "@iri/backend-api";
import { noopVolumeBackend } from "@iri/noop-backend";
import {
  createBackendContext,
  createLogger,
  EventRecorder,
  KitBackgroundJobs,
  ProviderMetrics,
} from "@iri/runtime-kit";
import { openDatabase } from "@iri/store";
import type { VolumeServerContext } from "../server/context.js";
import { volumeCapacity } from "../volume-capacity.js";
import { openSnapshotCollection, openVolumeCollection } from "../volume-store.js";

export const TiB = 1n << 40n;

/** A volume server context on a real store and the noop backend with a pool of `capacityBytes`. */
export async function volumeFixture(classes: VolumeClassConfig[], capacityBytes = TiB) {
  const dir = mkdtempSync(join(tmpdir(), "volume-provider-"));
  const db = openDatabase({ path: join(dir, "db") });
  const logger = createLogger({ level: "silent" });
  const backend: VolumeBackend = await noopVolumeBackend.open(
    { noopCapacityBytes: Number(capacityBytes) },
    createBackendContext({
      stateDir: dir,
      logger,
      metrics: new ProviderMetrics({ processMetrics: false }).registry,
      owner: { provider: "test", instanceId: "i1" },
      jobs: new KitBackgroundJobs(),
    }),
  );
  const volumes = openVolumeCollection(db, randomBytes(32));
  const snapshots = openSnapshotCollection(db);
  const capacity = volumeCapacity(classes, volumes, backend, 100);
  await capacity.refresh();
  const events = new EventRecorder({ db, logger });
  const ctx: VolumeServerContext = {
    volumes,
    snapshots,
    classes,
    capacity,
    maxVolumeBytes: 64n * TiB,
    backend,
    events,
    runtimeName: "test",
    runtimeVersion: "0.0.0",
  };
  return {
    ctx,
    db,
    logger,
    async close() {
      await events.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
