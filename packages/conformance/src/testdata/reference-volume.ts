// In-memory reference VolumeRuntime: correct per the contract unless faults are switched on.
import { create, equals } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { volume } from "@iri/api";
import type { ReferenceOptions } from "./faults.js";
import {
  EventLog,
  Faults,
  failedPrecondition,
  invalidArgument,
  notFound,
  ObjectTable,
  type Timers,
  version,
} from "./reference-common.js";

const CLASSES = [{ name: "reference-fast", capabilities: { tps: 100n * 2n ** 20n, iops: 1000n } }];
const bytes = (text: string) => new TextEncoder().encode(text);

export function registerVolumeRuntime(
  router: ConnectRouter,
  options: ReferenceOptions,
  timers: Timers,
): void {
  const faults = new Faults(options.faults);
  const events = new EventLog(faults);
  const settleMs = options.settleMs ?? 20;
  const volumes = new ObjectTable({
    schema: volume.VolumeSchema,
    noun: "volume",
    faults,
    timers,
    events,
    settleMs,
    specEquals: (a, b) =>
      a.spec !== undefined && b.spec !== undefined && equals(volume.VolumeSpecSchema, a.spec, b.spec),
  });
  const snapshots = new ObjectTable({
    schema: volume.VolumeSnapshotSchema,
    noun: "volume_snapshot",
    faults,
    timers,
    events,
    settleMs,
    specEquals: (a, b) => a.spec?.volumeId === b.spec?.volumeId,
  });

  const makeAvailable = (v: volume.Volume) => {
    const id = v.metadata?.id ?? "";
    v.status = create(volume.VolumeStatusSchema, {
      state: volume.VolumeState.VOLUME_AVAILABLE,
      access: {
        driver: "ceph",
        handle: `reference/${id}`,
        attributes: { monitors: "192.0.2.10:6789", image: `reference/${id}` },
        secretData: { userID: bytes("reference"), userKey: bytes("reference-key") },
      },
      resources: { storageBytes: v.spec?.resources?.storageBytes ?? 0n },
    });
  };

  router.service(volume.VolumeRuntime, {
    version: (request) => version(faults, "volume", request.version),
    status: () => ({
      volumeClassStatus: CLASSES.map((volumeClass) => ({ volumeClass, quantity: 2n ** 40n })),
    }),
    listEvents: (request) => ({ events: events.list(request.filter) }),

    createVolume(request) {
      const created = volumes.create(
        request.volume,
        (v) => {
          const spec = v.spec ?? create(volume.VolumeSpecSchema);
          if (!CLASSES.some((c) => c.name === spec.class))
            throw invalidArgument(`unknown volume class ${JSON.stringify(spec.class)}`);
          const size = spec.resources?.storageBytes ?? 0n;
          if (size <= 0n) throw invalidArgument("spec.resources.storage_bytes must be > 0");
          v.status = create(volume.VolumeStatusSchema, { state: volume.VolumeState.VOLUME_PENDING });
        },
        makeAvailable,
      );
      return { volume: created };
    },

    listVolumes: (request) => ({ volumes: volumes.list(request.filter) }),

    expandVolume(request) {
      const v = volumes.get(request.volumeId);
      const size = request.resources?.storageBytes ?? 0n;
      if (size <= 0n) throw invalidArgument("resources.storage_bytes must be > 0");
      const current = v.spec?.resources?.storageBytes ?? 0n;
      if (size < current) throw invalidArgument(`cannot shrink volume from ${current} to ${size} bytes`);
      if (v.spec && !faults.has("expand-status-only"))
        v.spec.resources = create(volume.VolumeResourcesSchema, { storageBytes: size });
      if (v.status?.resources) v.status.resources.storageBytes = size;
      return {};
    },

    deleteVolume(request) {
      volumes.delete(request.volumeId);
      return {};
    },

    createVolumeSnapshot(request) {
      const created = snapshots.create(
        request.volumeSnapshot,
        (s) => {
          const volumeId = s.spec?.volumeId ?? "";
          if (volumeId === "") throw invalidArgument("spec.volume_id is required");
          if (!faults.has("snapshot-dangling")) {
            if (!volumes.has(volumeId)) throw notFound(`volume ${volumeId} not found`);
            const state = volumes.get(volumeId).status?.state;
            if (state !== volume.VolumeState.VOLUME_AVAILABLE)
              throw failedPrecondition(`volume ${volumeId} is not available`);
          }
          s.status = create(volume.VolumeSnapshotStatusSchema, {
            state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING,
          });
        },
        (s) => {
          const size = volumes.has(s.spec?.volumeId ?? "")
            ? volumes.get(s.spec?.volumeId ?? "").spec?.resources?.storageBytes
            : 0n;
          s.status = create(volume.VolumeSnapshotStatusSchema, {
            state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY,
            size: size ?? 0n,
          });
        },
      );
      return { volumeSnapshot: created };
    },

    listVolumeSnapshots: (request) => ({ volumeSnapshots: snapshots.list(request.filter) }),

    deleteVolumeSnapshot(request) {
      snapshots.delete(request.volumeSnapshotId);
      return {};
    },
  });
}
