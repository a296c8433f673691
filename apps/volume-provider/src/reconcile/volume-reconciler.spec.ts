import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import { PermanentBackendError } from "@iri/backend-api";
import { NoopVolumeBackend } from "@iri/noop-backend";
import { TerminalError } from "@iri/reconcile";
import { createLogger, EventRecorder } from "@iri/runtime-kit";
import { type Database, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BACKEND_FINALIZER,
  openSnapshotCollection,
  openVolumeCollection,
  type SnapshotCollection,
  type VolumeCollection,
} from "../volume-store.js";
import { snapshotReconciler } from "./snapshot-reconciler.js";
import { volumeReconciler } from "./volume-reconciler.js";

/** The noop backend, with a switch to make apply fail for good. */
class FlakyBackend extends NoopVolumeBackend {
  failWith: Error | undefined;
  override async apply(...args: Parameters<NoopVolumeBackend["apply"]>) {
    if (this.failWith) throw this.failWith;
    return super.apply(...args);
  }
}

const classes = [{ name: "standard", tps: 1n, iops: 1n, settings: {} }];
let dir: string;
let db: Database;
let volumes: VolumeCollection;
let snapshots: SnapshotCollection;
let events: EventRecorder;
let backend: FlakyBackend;
const signal = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "volume-reconciler-"));
  db = openDatabase({ path: join(dir, "db") });
  volumes = openVolumeCollection(db);
  snapshots = openSnapshotCollection(db);
  events = new EventRecorder({ db, logger: createLogger({ level: "silent" }) });
  backend = new FlakyBackend(10n << 30n);
});

afterEach(async () => {
  await events.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function createVolume(id: string, storageBytes: bigint) {
  return volumes.create({
    id,
    finalizers: [BACKEND_FINALIZER],
    spec: create(volume.VolumeSpecSchema, { class: "standard", resources: { storageBytes } }),
    status: create(volume.VolumeStatusSchema, {}),
  });
}

describe("volumeReconciler", () => {
  it("makes a volume available with access and the size the backend reports", async () => {
    const reconcile = volumeReconciler({ volumes, classes, backend, events });
    await createVolume("v1", 1n << 30n);
    await reconcile("v1", signal);
    const v = volumes.get("v1");
    expect(v?.status.state).toBe(volume.VolumeState.VOLUME_AVAILABLE);
    expect(v?.status.access?.handle).toBe("v1");
    expect(v?.status.resources?.storageBytes).toBe(1n << 30n);
    expect(await backend.availableBytes()).toBe(9n << 30n);
  });

  it("sets VOLUME_ERROR with a Warning event when the backend fails for good", async () => {
    const reconcile = volumeReconciler({ volumes, classes, backend, events });
    await createVolume("v1", 1n << 30n);
    backend.failWith = new PermanentBackendError("ImageNotFound", "image ghcr.io/x/y:1 not found");
    await expect(reconcile("v1", signal)).rejects.toBeInstanceOf(TerminalError);
    expect(volumes.get("v1")?.status.state).toBe(volume.VolumeState.VOLUME_ERROR);
    expect(events.list({ id: "v1" })[0]?.spec?.reason).toBe("ImageNotFound");
  });

  it("releases a deleted volume, then drops the record", async () => {
    const reconcile = volumeReconciler({ volumes, classes, backend, events });
    await createVolume("v1", 1n << 30n);
    await reconcile("v1", signal);
    await volumes.markDeleted("v1");
    await reconcile("v1", signal);
    expect(volumes.get("v1")).toBeUndefined();
    expect((await backend.listOwned()).volumes).toEqual([]);
  });
});

describe("snapshotReconciler", () => {
  it("reports a ready snapshot with the size of its volume, and releases it on delete", async () => {
    const reconcileVolume = volumeReconciler({ volumes, classes, backend, events });
    const reconcile = snapshotReconciler({ snapshots, backend, events });
    await createVolume("v1", 2n << 30n);
    await reconcileVolume("v1", signal);
    await snapshots.create({
      id: "s1",
      finalizers: [BACKEND_FINALIZER],
      spec: create(volume.VolumeSnapshotSpecSchema, { volumeId: "v1" }),
      status: create(volume.VolumeSnapshotStatusSchema, {}),
    });
    await reconcile("s1", signal);
    expect(snapshots.get("s1")?.status.state).toBe(volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY);
    expect(snapshots.get("s1")?.status.size).toBe(2n << 30n);
    await snapshots.markDeleted("s1");
    await reconcile("s1", signal);
    expect(snapshots.get("s1")).toBeUndefined();
    expect((await backend.listOwned()).snapshots).toEqual([]);
  });
});
