// Every mutating volume RPC, one row per answer: the code a caller gets, and that a refused call stores
// nothing and leaves the prepared volume and snapshot exactly as they were, while an accepted one is stored.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { ProviderError } from "@iri/runtime-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TiB, volumeFixture } from "../testdata/volume-fixture.js";
import type { VolumeServerContext } from "./context.js";
import { createVolume } from "./create-volume.js";
import { createVolumeSnapshot } from "./create-volume-snapshot.js";
import { deleteVolume } from "./delete-volume.js";
import { deleteVolumeSnapshot } from "./delete-volume-snapshot.js";
import { expandVolume } from "./expand-volume.js";

const GiB = 1n << 30n;
const classes = [{ name: "fast", tps: 1n, iops: 1n, settings: {} }];
let f: Awaited<ReturnType<typeof volumeFixture>>;
let ctx: VolumeServerContext;
/** A 1 GiB volume and a snapshot of it. */
let prepared: { volumeId: string; snapshotId: string };

beforeEach(async () => {
  f = await volumeFixture(classes, TiB);
  ctx = f.ctx;
  const made = await createVolume(ctx, createRequest({ class: "fast", resources: { storageBytes: GiB } }));
  const volumeId = made.volume?.metadata?.id ?? "";
  const snap = await createVolumeSnapshot(
    ctx,
    create(volume.CreateVolumeSnapshotRequestSchema, { volumeSnapshot: { spec: { volumeId } } }),
  );
  prepared = { volumeId, snapshotId: snap.volumeSnapshot?.metadata?.id ?? "" };
});
afterEach(() => f.close());

function createRequest(spec: MessageInitShape<typeof volume.VolumeSpecSchema>) {
  return create(volume.CreateVolumeRequestSchema, { volume: { spec } });
}
const sized = (
  storageBytes: bigint,
  more: {
    encryption?: MessageInitShape<typeof volume.EncryptionSpecSchema>;
    volumeDataSource?: MessageInitShape<typeof volume.VolumeDataSourceSchema>;
  } = {},
): MessageInitShape<typeof volume.VolumeSpecSchema> => ({
  class: "fast",
  resources: { storageBytes },
  ...more,
});
const expand = (volumeId: string, storageBytes: bigint) =>
  expandVolume(ctx, create(volume.ExpandVolumeRequestSchema, { volumeId, resources: { storageBytes } }));

/** What a refusal must leave as it was. */
function stored() {
  return {
    volumes: ctx.volumes.count(),
    snapshots: ctx.snapshots.count(),
    volume: ctx.volumes.get(prepared.volumeId)?.metadata.resourceVersion,
    snapshot: ctx.snapshots.get(prepared.snapshotId)?.metadata.resourceVersion,
  };
}

const refused: { call: string; send: () => Promise<unknown>; code: Code }[] = [
  {
    call: "CreateVolume without a spec",
    send: () => createVolume(ctx, create(volume.CreateVolumeRequestSchema, { volume: {} })),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateVolume of an unknown class",
    send: () => createVolume(ctx, createRequest({ ...sized(GiB), class: "slow" })),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateVolume of no bytes",
    send: () => createVolume(ctx, createRequest(sized(0n))),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateVolume encrypted without a passphrase",
    send: () => createVolume(ctx, createRequest(sized(GiB, { encryption: { secretData: {} } }))),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateVolume from an image and a snapshot at once",
    send: () =>
      createVolume(
        ctx,
        createRequest(
          sized(GiB, {
            volumeDataSource: {
              imageDataSource: { image: "r/a:1" },
              snapshotDataSource: { snapshotId: "s" },
            },
          }),
        ),
      ),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateVolume from a snapshot that does not exist",
    send: () =>
      createVolume(
        ctx,
        createRequest(sized(GiB, { volumeDataSource: { snapshotDataSource: { snapshotId: "nope" } } })),
      ),
    code: Code.NotFound,
  },
  {
    call: "CreateVolume larger than the pool holds",
    send: () => createVolume(ctx, createRequest(sized(2n * TiB))),
    code: Code.ResourceExhausted,
  },
  {
    call: "ExpandVolume of a volume that does not exist",
    send: () => expand("nope", 2n * GiB),
    code: Code.NotFound,
  },
  {
    call: "ExpandVolume to a smaller size",
    send: () => expand(prepared.volumeId, GiB / 2n),
    code: Code.FailedPrecondition,
  },
  {
    call: "ExpandVolume to no bytes",
    send: () => expand(prepared.volumeId, 0n),
    code: Code.InvalidArgument,
  },
  {
    call: "ExpandVolume beyond the pool",
    send: () => expand(prepared.volumeId, 2n * TiB),
    code: Code.ResourceExhausted,
  },
  {
    call: "DeleteVolume without an id",
    send: () => deleteVolume(ctx, create(volume.DeleteVolumeRequestSchema, {})),
    code: Code.InvalidArgument,
  },
  {
    call: "DeleteVolume of a volume that does not exist",
    send: () => deleteVolume(ctx, create(volume.DeleteVolumeRequestSchema, { volumeId: "nope" })),
    code: Code.NotFound,
  },
  {
    call: "CreateVolumeSnapshot without a spec",
    send: () =>
      createVolumeSnapshot(ctx, create(volume.CreateVolumeSnapshotRequestSchema, { volumeSnapshot: {} })),
    code: Code.InvalidArgument,
  },
  {
    call: "CreateVolumeSnapshot of a volume that does not exist",
    send: () =>
      createVolumeSnapshot(
        ctx,
        create(volume.CreateVolumeSnapshotRequestSchema, { volumeSnapshot: { spec: { volumeId: "nope" } } }),
      ),
    code: Code.NotFound,
  },
  {
    call: "DeleteVolumeSnapshot of a snapshot that does not exist",
    send: () =>
      deleteVolumeSnapshot(
        ctx,
        create(volume.DeleteVolumeSnapshotRequestSchema, { volumeSnapshotId: "nope" }),
      ),
    code: Code.NotFound,
  },
];

describe.each(refused)("$call", ({ send, code }) => {
  it(`answers ${Code[code]} and stores nothing`, async () => {
    const before = stored();
    const error = await send().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe(code);
    expect(stored()).toEqual(before);
  });
});

const accepted: { call: string; send: () => Promise<unknown>; expectStored: () => void }[] = [
  {
    call: "CreateVolume",
    send: () => createVolume(ctx, createRequest(sized(GiB))),
    expectStored: () => expect(ctx.volumes.count()).toBe(2),
  },
  {
    call: "CreateVolume from the snapshot",
    send: () =>
      createVolume(
        ctx,
        createRequest(
          sized(GiB, { volumeDataSource: { snapshotDataSource: { snapshotId: prepared.snapshotId } } }),
        ),
      ),
    expectStored: () => expect(ctx.volumes.count()).toBe(2),
  },
  {
    call: "ExpandVolume",
    send: () => expand(prepared.volumeId, 2n * GiB),
    expectStored: () =>
      expect(ctx.volumes.get(prepared.volumeId)?.spec.resources?.storageBytes).toBe(2n * GiB),
  },
  {
    call: "DeleteVolume",
    send: () => deleteVolume(ctx, create(volume.DeleteVolumeRequestSchema, { volumeId: prepared.volumeId })),
    expectStored: () => expect(ctx.volumes.get(prepared.volumeId)?.metadata.deletedAt).not.toBe(0n),
  },
  {
    call: "CreateVolumeSnapshot",
    send: () =>
      createVolumeSnapshot(
        ctx,
        create(volume.CreateVolumeSnapshotRequestSchema, {
          volumeSnapshot: { spec: { volumeId: prepared.volumeId } },
        }),
      ),
    expectStored: () => expect(ctx.snapshots.count()).toBe(2),
  },
  {
    call: "DeleteVolumeSnapshot",
    send: () =>
      deleteVolumeSnapshot(
        ctx,
        create(volume.DeleteVolumeSnapshotRequestSchema, { volumeSnapshotId: prepared.snapshotId }),
      ),
    expectStored: () => expect(ctx.snapshots.get(prepared.snapshotId)?.metadata.deletedAt).not.toBe(0n),
  },
];

describe.each(accepted)("$call", ({ send, expectStored }) => {
  it("is stored", async () => {
    await send();
    expectStored();
  });
});

it("refuses to expand a volume being deleted (FailedPrecondition), leaving it as it was", async () => {
  await deleteVolume(ctx, create(volume.DeleteVolumeRequestSchema, { volumeId: prepared.volumeId }));
  const before = stored();
  await expect(expand(prepared.volumeId, 2n * GiB)).rejects.toMatchObject({ code: Code.FailedPrecondition });
  expect(stored()).toEqual(before);
});
