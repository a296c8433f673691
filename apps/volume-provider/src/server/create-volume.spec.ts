import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { BackendUnavailableError, type VolumeBackend } from "@iri/backend-api";
import { ProviderError } from "@iri/runtime-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TiB, volumeFixture } from "../testdata/volume-fixture.js";
import { volumeCapacity } from "../volume-capacity.js";
import { BACKEND_FINALIZER, toVolume } from "../volume-store.js";
import { createVolume } from "./create-volume.js";
import { status } from "./status.js";

const classes = [{ name: "fast", tps: 1n, iops: 1n, settings: {} }];
let f: Awaited<ReturnType<typeof volumeFixture>>;
beforeEach(async () => {
  f = await volumeFixture(classes, TiB);
});
afterEach(() => f.close());

const request = (
  storageBytes: bigint,
  extra: MessageInitShape<typeof volume.VolumeSpecSchema> = {},
  labels: Record<string, string> = {},
) => {
  const spec = create(volume.VolumeSpecSchema, extra);
  spec.class = "fast";
  spec.resources = create(volume.VolumeResourcesSchema, { storageBytes });
  return create(volume.CreateVolumeRequestSchema, { volume: { metadata: { labels }, spec } });
};

const codeOf = (err: unknown) => (err instanceof ProviderError ? err.code : undefined);

describe("CreateVolume capacity", () => {
  it("refuses a volume larger than the class can provision, with a Warning carrying the request's labels", async () => {
    const uid = { "volumepoollet.ironcore.dev/volume-uid": "u1" };
    const err = await createVolume(f.ctx, request(2n * TiB, {}, uid)).catch((e: unknown) => e);
    expect(codeOf(err)).toBe(Code.ResourceExhausted);
    expect(f.ctx.volumes.count()).toBe(0);
    const [event] = f.ctx.events.list({ labelSelector: uid });
    expect(event?.spec?.reason).toBe("InsufficientCapacity");
    expect(event?.spec?.type).toBe("Warning");
  });

  it("waits for the pool's first capacity reading rather than refusing", async () => {
    const unread = volumeCapacity(classes, f.ctx.volumes, f.ctx.backend, 100);
    expect(unread.anyRead).toBe(false);
    await expect(createVolume({ ...f.ctx, capacity: unread }, request(1n << 30n))).resolves.toBeDefined();
    expect(unread.anyRead).toBe(true);
  });

  it("answers Unavailable, not ResourceExhausted, when no capacity reading comes in time", async () => {
    let reads = 0;
    const down: VolumeBackend = Object.create(f.ctx.backend);
    down.capacity = async () => {
      reads++;
      throw new BackendUnavailableError("the cluster does not answer");
    };
    const unread = volumeCapacity(classes, f.ctx.volumes, down, 100, { firstReadingWaitMs: 1_200 });
    const err = await createVolume({ ...f.ctx, capacity: unread }, request(1n << 30n)).catch(
      (e: unknown) => e,
    );
    expect(codeOf(err)).toBe(Code.Unavailable);
    expect((err as Error).message).toMatch(/not known yet/);
    // It asked the backend again while it waited, and created nothing.
    expect(reads).toBeGreaterThan(1);
    expect(f.ctx.volumes.count()).toBe(0);
  });

  it("admits concurrent creates only up to the pool's capacity", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => createVolume(f.ctx, request(TiB / 4n))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    expect(f.ctx.volumes.count()).toBe(4);
  });

  it("counts classes that share storage against one capacity: naming the default pool or not", async () => {
    // The noop backend's default pool is "noop"; one class names it, the other names no pool.
    const shared = [
      { name: "named", tps: 1n, iops: 1n, settings: { pool: "noop" } },
      { name: "default", tps: 1n, iops: 1n, settings: {} },
    ];
    const g = await volumeFixture(shared, TiB);
    try {
      const inClass = (cls: string, storageBytes: bigint) => {
        const req = request(storageBytes);
        (req.volume?.spec as volume.VolumeSpec).class = cls;
        return createVolume(g.ctx, req);
      };
      await inClass("named", (TiB * 3n) / 4n);
      const err = await inClass("default", (TiB * 3n) / 4n).catch((e: unknown) => e);
      expect(codeOf(err)).toBe(Code.ResourceExhausted);
      await inClass("default", TiB / 4n);
      const answer = await status(g.ctx, create(volume.StatusRequestSchema));
      expect(answer.volumeClassStatus?.map((c) => [c.volumeClass?.name, c.quantity])).toEqual([
        ["named", (TiB * 3n) / 4n],
        ["default", TiB / 4n],
      ]);
    } finally {
      await g.close();
    }
  });

  it("reports a total that creating a volume of the class does not change", async () => {
    const quantity = async () =>
      (await status(f.ctx, create(volume.StatusRequestSchema))).volumeClassStatus?.[0]?.quantity;
    expect(await quantity()).toBe(TiB);
    await createVolume(f.ctx, request(TiB / 2n));
    // The volumepoollet's allocatable: quantity − its volumes' sizes.
    expect(await quantity()).toBe(TiB);
    expect(((await quantity()) ?? 0n) - TiB / 2n).toBe(TiB / 2n);
  });
});

describe("CreateVolume size", () => {
  it("is InvalidArgument above --max-volume-bytes, before any capacity check", async () => {
    const err = await createVolume(f.ctx, request(65n * TiB)).catch((e: unknown) => e);
    expect(codeOf(err)).toBe(Code.InvalidArgument);
    expect((err as Error).message).toMatch(/largest volume this provider creates/);
  });
});

describe("CreateVolume from a snapshot", () => {
  async function snapshot(id: string, labels: Record<string, string>, size: bigint) {
    await f.ctx.snapshots.create({
      id,
      labels,
      finalizers: [BACKEND_FINALIZER],
      spec: create(volume.VolumeSnapshotSpecSchema, { volumeId: "v0" }),
      status: create(volume.VolumeSnapshotStatusSchema, {
        state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY,
        size,
      }),
    });
  }
  const fromSnapshot = (snapshotId: string, size: bigint, labels: Record<string, string> = {}) =>
    request(size, { volumeDataSource: { snapshotDataSource: { snapshotId } } }, labels);

  it("accepts the snapshot's id, or its Kubernetes name within the volume's namespace", async () => {
    await snapshot(
      "s1",
      {
        "volumepoollet.ironcore.dev/volume-snapshot-name": "daily",
        "volumepoollet.ironcore.dev/volume-snapshot-namespace": "team-a",
      },
      1n << 30n,
    );
    await createVolume(f.ctx, fromSnapshot("s1", 1n << 30n));
    await createVolume(
      f.ctx,
      fromSnapshot("daily", 1n << 30n, { "volumepoollet.ironcore.dev/volume-namespace": "team-a" }),
    );
    const err = await createVolume(
      f.ctx,
      fromSnapshot("daily", 1n << 30n, { "volumepoollet.ironcore.dev/volume-namespace": "team-b" }),
    ).catch((e: unknown) => e);
    expect(codeOf(err)).toBe(Code.NotFound);
  });

  it("is NotFound for an unknown snapshot, FailedPrecondition for an ambiguous name, InvalidArgument when too small", async () => {
    expect(codeOf(await createVolume(f.ctx, fromSnapshot("nope", 1n << 30n)).catch((e: unknown) => e))).toBe(
      Code.NotFound,
    );
    const name = { "volumepoollet.ironcore.dev/volume-snapshot-name": "dup" };
    await snapshot("s2", name, 1n << 30n);
    await snapshot("s3", name, 1n << 30n);
    expect(codeOf(await createVolume(f.ctx, fromSnapshot("dup", 1n << 30n)).catch((e: unknown) => e))).toBe(
      Code.FailedPrecondition,
    );
    expect(codeOf(await createVolume(f.ctx, fromSnapshot("s2", 1n << 20n)).catch((e: unknown) => e))).toBe(
      Code.InvalidArgument,
    );
  });
});

describe("ListVolumes", () => {
  it("never returns the encryption passphrase, in Create or List alike", async () => {
    const passphrase = new TextEncoder().encode("planted-passphrase");
    const created = await createVolume(
      f.ctx,
      request(1n << 30n, { encryption: { secretData: { encryptionKey: passphrase } } }),
    );
    // What ListVolumes encodes for each record.
    const listed = f.ctx.volumes.list().map(toVolume);
    expect(created.volume?.spec?.encryption).toBeUndefined();
    const bytes = Buffer.concat(listed.map((v) => toBinary(volume.VolumeSchema, v)));
    expect(bytes.includes("planted-passphrase")).toBe(false);
    const stored = f.ctx.volumes.list()[0]?.spec.encryption?.secretData.encryptionKey ?? new Uint8Array();
    expect(Buffer.from(stored).equals(passphrase)).toBe(true);
  });
});
