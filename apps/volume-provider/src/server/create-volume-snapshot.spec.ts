import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { ProviderError } from "@iri/runtime-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TiB, volumeFixture } from "../testdata/volume-fixture.js";
import { createVolume } from "./create-volume.js";
import { createVolumeSnapshot } from "./create-volume-snapshot.js";

const classes = [{ name: "fast", tps: 1n, iops: 1n, settings: {} }];
let f: Awaited<ReturnType<typeof volumeFixture>>;
beforeEach(async () => {
  f = await volumeFixture(classes, TiB);
});
afterEach(() => f.close());

const VOLUME_NAME = "volumepoollet.ironcore.dev/volume-name";
const VOLUME_NAMESPACE = "volumepoollet.ironcore.dev/volume-namespace";
const SNAPSHOT_NAMESPACE = "volumepoollet.ironcore.dev/volume-snapshot-namespace";

async function volumeNamed(name: string, namespace: string): Promise<string> {
  const res = await createVolume(
    f.ctx,
    create(volume.CreateVolumeRequestSchema, {
      volume: {
        metadata: { labels: { [VOLUME_NAME]: name, [VOLUME_NAMESPACE]: namespace } },
        spec: { class: "fast", resources: { storageBytes: 1n << 30n } },
      },
    }),
  );
  return res.volume?.metadata?.id ?? "";
}

const snapshotOf = (volumeId: string, namespace?: string) =>
  createVolumeSnapshot(
    f.ctx,
    create(volume.CreateVolumeSnapshotRequestSchema, {
      volumeSnapshot: {
        metadata: { labels: namespace === undefined ? {} : { [SNAPSHOT_NAMESPACE]: namespace } },
        spec: { volumeId },
      },
    }),
  );

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a failure"),
    (e: unknown) => {
      expect(e).toBeInstanceOf(ProviderError);
      return e as ProviderError;
    },
  );

describe("CreateVolumeSnapshot source volume", () => {
  it("takes the IRI volume id, as IronCore main sends it", async () => {
    const id = await volumeNamed("vol1", "team-a");
    const res = await snapshotOf(id, "team-a");
    expect(res.volumeSnapshot?.spec?.volumeId).toBe(id);
  });

  it("takes the Kubernetes Volume's name in the snapshot's namespace, as v0.4.x/v0.5.0 poollets send it, and stores the id", async () => {
    const a = await volumeNamed("vol2", "team-a");
    const b = await volumeNamed("vol2", "team-b");
    const res = await snapshotOf("vol2", "team-b");
    expect(res.volumeSnapshot?.spec?.volumeId).toBe(b);
    const stored = f.ctx.snapshots.get(res.volumeSnapshot?.metadata?.id ?? "");
    expect(stored?.spec.volumeId).toBe(b);
    expect(stored?.spec.volumeId).not.toBe(a);
  });

  it("is NotFound naming the id and the labels tried when no volume matches", async () => {
    await volumeNamed("vol2", "team-a");
    const err = await failure(snapshotOf("vol2", "team-c"));
    expect(err.code).toBe(Code.NotFound);
    expect(err.message).toContain('no volume has id "vol2"');
    expect(err.message).toContain(`"${VOLUME_NAMESPACE}":"team-c"`);
    expect(f.ctx.snapshots.count()).toBe(0);
  });

  it("is NotFound, not a guess, when the name matches volumes in several namespaces and the snapshot names none", async () => {
    await volumeNamed("vol2", "team-a");
    await volumeNamed("vol2", "team-b");
    const err = await failure(snapshotOf("vol2"));
    expect(err.code).toBe(Code.NotFound);
    expect(err.message).toMatch(/ambiguous: .* 2 volumes have labels/);
    expect(f.ctx.snapshots.count()).toBe(0);
  });

  it("is InvalidArgument for an empty volume_id", async () => {
    expect((await failure(snapshotOf(""))).code).toBe(Code.InvalidArgument);
  });
});
