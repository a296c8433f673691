// Volume snapshots. The volumepoollet snapshots only AVAILABLE volumes and finds snapshots by owner label.
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { volume } from "@iri/api";
import { check, expectCode, expectOk } from "../check.js";
import type { CaseContext, ConformanceCase } from "../conformance-case.js";
import { waitForState } from "../observe.js";
import { pollUntil } from "../poll.js";
import { mapDifference } from "../string-maps.js";
import { enumName, rpc } from "../subjects/rpc.js";
import type { VolumeSubject } from "../subjects/volume-subject.js";
import { timestampProblem } from "../time-units.js";
import { DNS_LABEL } from "./create-cases.js";

type Ctx = CaseContext<VolumeSubject>;

const SNAPSHOT_STATES = ["VOLUME_SNAPSHOT_PENDING", "VOLUME_SNAPSHOT_READY", "VOLUME_SNAPSHOT_FAILED"];
const CLEANUP_WAIT_MS = 10_000;

const unknownId = () => `conformance-unknown-${randomBytes(6).toString("hex")}`;

/** CreateVolumeSnapshot that, when it succeeds, schedules the snapshot's deletion for cleanup. */
async function createSnapshot(ctx: Ctx, snapshot: volume.VolumeSnapshot): Promise<volume.VolumeSnapshot> {
  const { client } = ctx.subject;
  const response = await rpc("CreateVolumeSnapshot", () =>
    client.createVolumeSnapshot({ volumeSnapshot: snapshot }),
  );
  const created = response.volumeSnapshot;
  const id = created?.metadata?.id;
  if (id) {
    ctx.defer(`delete volume snapshot ${id}`, async () => {
      try {
        await client.deleteVolumeSnapshot({ volumeSnapshotId: id });
      } catch (err) {
        if (ConnectError.from(err).code === Code.NotFound) return;
        throw err;
      }
      await pollUntil({ timeoutMs: CLEANUP_WAIT_MS, intervalMs: ctx.timing.pollIntervalMs }, async () => {
        const { volumeSnapshots } = await client.listVolumeSnapshots({ filter: { id } });
        return volumeSnapshots.length === 0 ? true : undefined;
      });
    });
  }
  if (!created) throw new Error("CreateVolumeSnapshot returned no volume_snapshot");
  return created;
}

export const snapshotCases: ConformanceCase<VolumeSubject>[] = [
  {
    name: "volume/snapshot-unknown-volume-rejected",
    rule:
      "CreateVolumeSnapshot of an unknown volume id fails with NotFound (InvalidArgument accepted); it must not " +
      "create a dangling snapshot.",
    async run(ctx) {
      const snapshot = create(volume.VolumeSnapshotSchema, {
        metadata: { labels: ctx.uniqueLabels() },
        spec: { volumeId: unknownId() },
      });
      await expectCode(
        createSnapshot(ctx, snapshot),
        [Code.NotFound, Code.InvalidArgument],
        "CreateVolumeSnapshot of an unknown volume",
      );
    },
  },
  {
    name: "volume/snapshot-list-unknown-id-empty",
    rule: "ListVolumeSnapshots with an unknown filter.id returns an empty list, not an error.",
    async run(ctx) {
      const { volumeSnapshots } = await expectOk(
        ctx.subject.client.listVolumeSnapshots({ filter: { id: unknownId() } }),
        "ListVolumeSnapshots with an unknown id",
      );
      check(
        volumeSnapshots.length === 0,
        `ListVolumeSnapshots with an unknown id returned ${volumeSnapshots.length}`,
      );
    },
  },
  {
    name: "volume/snapshot-delete-unknown-not-found",
    rule: "DeleteVolumeSnapshot of an unknown id fails with NotFound.",
    async run(ctx) {
      await expectCode(
        ctx.subject.client.deleteVolumeSnapshot({ volumeSnapshotId: unknownId() }),
        [Code.NotFound],
        "DeleteVolumeSnapshot of an unknown id",
      );
    },
  },
  {
    name: "volume/snapshot-echo",
    rule:
      "CreateVolumeSnapshot of an AVAILABLE volume returns a safe id, the labels and spec.volume_id as sent, " +
      "created_at in nanoseconds and a non-nil status with a valid state; ListVolumeSnapshots (by id and by " +
      "label selector) returns the same; DeleteVolumeSnapshot answers OK. Requires the volume to become AVAILABLE.",
    async run(ctx) {
      const created = await expectOk(ctx.create(await ctx.newObject()), "CreateVolume");
      const volumeId = created.metadata?.id ?? "";
      await waitForState(ctx, volumeId, "VOLUME_AVAILABLE");
      const labels = ctx.uniqueLabels();
      const before = Date.now();
      const snapshot = await expectOk(
        createSnapshot(
          ctx,
          create(volume.VolumeSnapshotSchema, { metadata: { labels }, spec: { volumeId } }),
        ),
        "CreateVolumeSnapshot",
      );
      const id = snapshot.metadata?.id ?? "";
      check(DNS_LABEL.test(id), `snapshot id ${JSON.stringify(id)} is not a DNS label`);
      checkSnapshot("CreateVolumeSnapshot", snapshot, labels, volumeId, before);
      const byId = await expectOk(
        ctx.subject.client.listVolumeSnapshots({ filter: { id } }),
        "ListVolumeSnapshots",
      );
      check(
        byId.volumeSnapshots.length === 1,
        `ListVolumeSnapshots by id returned ${byId.volumeSnapshots.length}`,
      );
      checkSnapshot("ListVolumeSnapshots", byId.volumeSnapshots[0], labels, volumeId, before);
      const bySelector = await expectOk(
        ctx.subject.client.listVolumeSnapshots({ filter: { labelSelector: labels } }),
        "ListVolumeSnapshots by label selector",
      );
      check(
        bySelector.volumeSnapshots.length === 1 && bySelector.volumeSnapshots[0]?.metadata?.id === id,
        `ListVolumeSnapshots by label selector returned ${bySelector.volumeSnapshots.length} snapshots`,
      );
      await expectOk(
        ctx.subject.client.deleteVolumeSnapshot({ volumeSnapshotId: id }),
        "DeleteVolumeSnapshot",
      );
    },
  },
];

function checkSnapshot(
  where: string,
  snapshot: volume.VolumeSnapshot | undefined,
  labels: Record<string, string>,
  volumeId: string,
  sinceMs: number,
): void {
  check(snapshot?.metadata !== undefined, `${where}: metadata is nil`);
  const labelProblem = mapDifference(labels, snapshot.metadata.labels);
  check(labelProblem === undefined, `${where}: labels differ: ${labelProblem}`);
  check(
    snapshot.spec?.volumeId === volumeId,
    `${where}: spec.volume_id ${JSON.stringify(snapshot.spec?.volumeId)}`,
  );
  check(snapshot.status !== undefined, `${where}: status is nil`);
  const state = enumName(volume.VolumeSnapshotStateSchema.values, snapshot.status.state);
  check(SNAPSHOT_STATES.includes(state), `${where}: state ${state}`);
  const problem = timestampProblem(snapshot.metadata.createdAt, "nanoseconds", sinceMs, Date.now());
  check(problem === undefined, `${where}: created_at ${problem}`);
}
