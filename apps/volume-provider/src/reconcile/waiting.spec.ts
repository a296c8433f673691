import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import {
  BackendUnavailableError,
  type OperationContext,
  PermanentBackendError,
  type VolumeBackend,
} from "@iri/backend-api";
import { ProviderError } from "@iri/runtime-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createVolume } from "../server/create-volume.js";
import { status } from "../server/status.js";
import { TiB, volumeFixture } from "../testdata/volume-fixture.js";
import { volumeCapacity } from "../volume-capacity.js";
import { BACKEND_FINALIZER, RESTORE_SNAPSHOT_ID, toVolume, type VolumeRecord } from "../volume-store.js";
import { snapshotReconcilerOptions } from "./snapshot-reconciler.js";
import { volumeReconcilerOptions } from "./volume-reconciler.js";

const classes = [
  { name: "fast", tps: 1n, iops: 1n, settings: { pool: "a" } },
  { name: "slow", tps: 1n, iops: 1n, settings: { pool: "b" } },
];
let f: Awaited<ReturnType<typeof volumeFixture>>;
beforeEach(async () => {
  f = await volumeFixture(classes, TiB);
});
afterEach(() => f.close());

function operation<O>(): OperationContext<O> {
  return {
    signal: new AbortController().signal,
    generation: 1n,
    lastObservation: undefined,
    placement: undefined,
    tag: { lineage: "test", generation: 1 },
    event: () => {},
    report: async () => {},
  };
}

/** A backend that records which calls reached it. */
function recording(): { backend: VolumeBackend; calls: string[] } {
  const calls: string[] = [];
  const backend = new Proxy(f.ctx.backend, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
  return { backend, calls };
}

async function volumeIn(id: string, state: volume.VolumeState) {
  await f.ctx.volumes.create({
    id,
    spec: create(volume.VolumeSpecSchema, { class: "fast", resources: { storageBytes: 1n << 30n } }),
    status: create(volume.VolumeStatusSchema, { state }),
  });
  return f.ctx.volumes.get(id) as NonNullable<ReturnType<typeof f.ctx.volumes.get>>;
}

async function snapshotIn(id: string, volumeId: string, state: volume.VolumeSnapshotState) {
  await f.ctx.snapshots.create({
    id,
    spec: create(volume.VolumeSnapshotSpecSchema, { volumeId }),
    status: create(volume.VolumeSnapshotStatusSchema, { state }),
  });
  return f.ctx.snapshots.get(id) as NonNullable<ReturnType<typeof f.ctx.snapshots.get>>;
}

describe("a snapshot of a volume that is not AVAILABLE", () => {
  it("waits as PENDING, without reaching the backend, until the volume is AVAILABLE", async () => {
    const { backend, calls } = recording();
    const options = snapshotReconcilerOptions({
      snapshots: f.ctx.snapshots,
      volumes: f.ctx.volumes,
      volumeStates: { get: () => undefined } as never,
      backend,
    });
    await volumeIn("v1", volume.VolumeState.VOLUME_PENDING);
    const snap = await snapshotIn("s1", "v1", volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING);
    const outcome = await options.apply(snap, operation());
    expect(outcome.observation.state).toBe(volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING);
    expect(outcome.notDone).toMatchObject({ reason: "VolumeNotAvailable" });
    expect(outcome.notDone?.blocked).toBeUndefined();
    expect(outcome.notDone?.message).toMatch(/VOLUME_PENDING/);
    expect(calls).not.toContain("applySnapshot");

    await f.ctx.volumes.mutate("v1", () => ({
      status: create(volume.VolumeStatusSchema, { state: volume.VolumeState.VOLUME_AVAILABLE }),
    }));
    await options.apply(snap, operation()).catch(() => undefined);
    expect(calls).toContain("applySnapshot");
  });
});

const restoreOptions = () =>
  volumeReconcilerOptions({
    volumes: f.ctx.volumes,
    snapshots: f.ctx.snapshots,
    snapshotStates: { get: () => undefined } as never,
    classes,
    backend: f.ctx.backend,
  });

describe("a restore from a snapshot that is not READY", () => {
  const restoring = async (snapshotId: string) => {
    await f.ctx.volumes.create({
      id: "r1",
      spec: create(volume.VolumeSpecSchema, {
        class: "fast",
        resources: { storageBytes: 1n << 30n },
        volumeDataSource: { snapshotDataSource: { snapshotId } },
      }),
      status: create(volume.VolumeStatusSchema, { state: volume.VolumeState.VOLUME_PENDING }),
    });
    return f.ctx.volumes.get("r1") as NonNullable<ReturnType<typeof f.ctx.volumes.get>>;
  };

  it("waits as PENDING (a Normal event, not an ERROR) while the snapshot is PENDING", async () => {
    await snapshotIn("s2", "v9", volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING);
    const outcome = await restoreOptions().apply(await restoring("s2"), operation());
    expect(outcome.observation.state).toBe(volume.VolumeState.VOLUME_PENDING);
    expect(outcome.notDone).toMatchObject({ reason: "SnapshotNotReady" });
    expect(outcome.notDone?.blocked).toBeUndefined();
  });

  it("fails for good when the snapshot failed", async () => {
    await snapshotIn("s3", "v9", volume.VolumeSnapshotState.VOLUME_SNAPSHOT_FAILED);
    const record = await restoring("s3");
    const error = await (async () => restoreOptions().apply(record, operation()))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentBackendError);
    expect((error as PermanentBackendError).reason).toBe("SnapshotFailed");
  });
});

describe("a restore from a snapshot name", () => {
  const daily = {
    "volumepoollet.ironcore.dev/volume-snapshot-name": "daily",
    "volumepoollet.ironcore.dev/volume-snapshot-namespace": "team-a",
  };
  const ready = (id: string) =>
    f.ctx.snapshots.create({
      id,
      labels: daily,
      finalizers: [BACKEND_FINALIZER],
      spec: create(volume.VolumeSnapshotSpecSchema, { volumeId: "v0" }),
      status: create(volume.VolumeSnapshotStatusSchema, {
        state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY,
        size: 1n << 30n,
      }),
    });
  const restore = (annotations: Record<string, string> = {}) =>
    createVolume(
      f.ctx,
      create(volume.CreateVolumeRequestSchema, {
        volume: {
          metadata: { labels: { "volumepoollet.ironcore.dev/volume-namespace": "team-a" }, annotations },
          spec: {
            class: "fast",
            resources: { storageBytes: 1n << 30n },
            volumeDataSource: { snapshotDataSource: { snapshotId: "daily" } },
          },
        },
      }),
    );

  it("restores the snapshot the name meant at create, not one that takes the name later", async () => {
    await ready("s-old");
    const created = await restore();
    const stored = f.ctx.volumes.get(created.volume?.metadata?.id ?? "") as VolumeRecord;
    // The resolved id is the provider's own: neither Create nor List shows it.
    expect(created.volume?.metadata?.annotations).toEqual({});
    expect(toVolume(stored).metadata?.annotations).toEqual({});
    await f.ctx.snapshots.markDeleted("s-old");
    await ready("s-new");
    const error = await (async () => restoreOptions().apply(stored, operation()))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentBackendError);
    expect((error as PermanentBackendError).reason).toBe("SnapshotNotFound");
    expect((error as Error).message).toMatch(/s-old/);
  });

  it("refuses a caller's annotation under the provider's own key", async () => {
    await ready("s1");
    const err = await restore({ [RESTORE_SNAPSHOT_ID]: "s9" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe(Code.InvalidArgument);
    expect(f.ctx.volumes.count()).toBe(0);
  });
});

describe("Status with one pool that cannot be read", () => {
  /** The noop backend, except that pool "b" stops answering once `down` is set. */
  function flaky(): { backend: VolumeBackend; down: { b: boolean } } {
    const down = { b: false };
    const backend: VolumeBackend = Object.create(f.ctx.backend);
    backend.capacity = async (cls) => {
      if (down.b && cls.settings.pool === "b") throw new BackendUnavailableError("pool b does not answer");
      return f.ctx.backend.capacity(cls);
    };
    return { backend, down };
  }

  it("answers every class from its last good reading", async () => {
    const { backend, down } = flaky();
    const capacity = volumeCapacity(classes, f.ctx.volumes, backend, 100);
    const ctx = { ...f.ctx, backend, capacity };
    const first = await status(ctx, create(volume.StatusRequestSchema));
    down.b = true;
    const second = await status(ctx, create(volume.StatusRequestSchema));
    expect(second.volumeClassStatus?.map((c) => c.quantity)).toEqual(
      first.volumeClassStatus?.map((c) => c.quantity),
    );
    expect(second.volumeClassStatus?.map((c) => c.quantity)).toEqual([TiB, TiB]);
  });

  it("answers the classes it could read when one pool was never read", async () => {
    const { backend, down } = flaky();
    down.b = true;
    const capacity = volumeCapacity(classes, f.ctx.volumes, backend, 100);
    const answer = await status({ ...f.ctx, backend, capacity }, create(volume.StatusRequestSchema));
    expect(answer.volumeClassStatus?.map((c) => [c.volumeClass?.name, c.quantity])).toEqual([
      ["fast", TiB],
      ["slow", 0n],
    ]);
  });

  it("reads the capacity once for concurrent Status calls", async () => {
    let reads = 0;
    // The reads stay in flight until every Status call has started (each starts its refresh synchronously).
    let release!: () => void;
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    const backend: VolumeBackend = Object.create(f.ctx.backend);
    backend.capacity = async (cls) => {
      reads++;
      await started;
      return f.ctx.backend.capacity(cls);
    };
    const capacity = volumeCapacity(classes, f.ctx.volumes, backend, 100);
    const ctx = { ...f.ctx, backend, capacity };
    const calls = Array.from({ length: 5 }, () => status(ctx, create(volume.StatusRequestSchema)));
    release();
    await Promise.all(calls);
    expect(reads).toBe(2);
  });

  it("reports a class naming a pool the backend does not serve as a permanent failure (a start-up error)", async () => {
    const backend: VolumeBackend = Object.create(f.ctx.backend);
    backend.capacity = async (cls) => {
      if (cls.settings.pool === "b")
        throw new PermanentBackendError("PoolNotConfigured", "pool b is not one of the provider's pools");
      throw new BackendUnavailableError("down");
    };
    const capacity = volumeCapacity(classes, f.ctx.volumes, backend, 100);
    await expect(capacity.refresh()).rejects.toBeInstanceOf(PermanentBackendError);
  });
});
