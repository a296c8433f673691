// A volume backend that keeps each volume as a sparse file in its state directory: the worked example of
// packages/backend-api/README.md. Small on purpose; it shows the contract, not a storage system.
import { execFile } from "node:child_process";
import { mkdir, readdir, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { volume } from "@iri/api";
import {
  type ApplyOutcome,
  type BackendFactory,
  type ObjectRef,
  type OwnedResource,
  PermanentBackendError,
  type PoolCapacity,
  type RemoveOutcome,
  type SnapshotIntent,
  type SnapshotObservation,
  type VolumeBackend,
  type VolumeIntent,
  type VolumeObservation,
} from "@iri/backend-api";

type Kind = "volumes" | "snapshots";

const run = promisify(execFile);

/** Copies a file keeping its holes (Node's copyFile would write every zero of a sparse 10 GiB volume). */
async function copySparse(from: string, to: string): Promise<void> {
  await run("cp", ["--sparse=always", "--reflink=auto", "--", from, to]);
}

/**
 * Volumes are `<dir>/volumes/<instanceId>.<id>.img`, snapshots `<dir>/snapshots/<instanceId>.<id>.img`: the
 * owner tag is in the name, so `listOwned` can tell this provider's files from anyone else's.
 */
export class FileVolumeBackend implements VolumeBackend {
  readonly name = "file";

  constructor(
    private readonly dir: string,
    private readonly instanceId: string,
    private readonly capacityBytes: bigint,
  ) {}

  private path(kind: Kind, id: string): string {
    return join(this.dir, kind, `${this.instanceId}.${id}.img`);
  }

  async apply(intent: VolumeIntent): Promise<ApplyOutcome<VolumeObservation>> {
    if (intent.spec.volumeDataSource?.imageDataSource) {
      // Retrying cannot help: recorded once as a Warning event, the volume goes to VOLUME_ERROR.
      throw new PermanentBackendError(
        "ImageUnsupported",
        "the file backend cannot populate a volume from an image",
      );
    }
    const sizeBytes = intent.spec.resources?.storageBytes ?? 0n;
    const file = this.path("volumes", intent.id);
    const existing = await stat(file).catch(() => undefined);
    if (existing === undefined) {
      // Made under a temporary name and renamed: a crash never leaves a half-copied volume that looks done.
      const partial = `${file}.partial`;
      if (intent.snapshot) await copySparse(this.path("snapshots", intent.snapshot.id), partial);
      else await writeFile(partial, "");
      await truncate(partial, Number(sizeBytes));
      await rename(partial, file);
    } else if (BigInt(existing.size) < sizeBytes) {
      await truncate(file, Number(sizeBytes));
    }
    return {
      observation: {
        state: volume.VolumeState.VOLUME_AVAILABLE,
        access: create(volume.VolumeAccessSchema, { driver: "file", handle: file }),
        storageBytes: sizeBytes,
      },
    };
  }

  async remove(ref: ObjectRef): Promise<RemoveOutcome> {
    await rm(this.path("volumes", ref.id), { force: true });
    return undefined;
  }

  async applySnapshot(intent: SnapshotIntent): Promise<ApplyOutcome<SnapshotObservation>> {
    const file = this.path("snapshots", intent.id);
    if ((await stat(file).catch(() => undefined)) === undefined) {
      const source = this.path("volumes", intent.volumeId);
      if ((await stat(source).catch(() => undefined)) === undefined) {
        // The volume may not be realised yet: not done, asked again later.
        return {
          observation: { state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_PENDING, sizeBytes: 0n },
          notDone: { afterMs: 1000, reason: "VolumePending", message: "the volume has no file yet" },
        };
      }
      await copySparse(source, `${file}.partial`);
      await rename(`${file}.partial`, file);
    }
    const { size } = await stat(file);
    return {
      observation: { state: volume.VolumeSnapshotState.VOLUME_SNAPSHOT_READY, sizeBytes: BigInt(size) },
    };
  }

  async removeSnapshot(ref: ObjectRef): Promise<RemoveOutcome> {
    await rm(this.path("snapshots", ref.id), { force: true });
    return undefined;
  }

  async listOwned(): Promise<{ volumes: OwnedResource[]; snapshots: OwnedResource[] }> {
    return { volumes: await this.owned("volumes"), snapshots: await this.owned("snapshots") };
  }

  private async owned(kind: Kind): Promise<OwnedResource[]> {
    const resources: OwnedResource[] = [];
    for (const name of await readdir(join(this.dir, kind))) {
      const match = /^([^.]+)\.([^.]+)\.img$/.exec(name);
      if (match?.[1] && match[2]) resources.push({ owner: match[1], id: match[2] });
    }
    return resources;
  }

  async capacity(): Promise<PoolCapacity> {
    return { totalBytes: this.capacityBytes };
  }

  /** Every class shares the one directory. */
  capacityGroup(): string {
    return "files";
  }

  async close(): Promise<void> {}
}

const settings = {
  fileCapacityBytes: {
    flag: "file-capacity-bytes",
    env: "FILE_CAPACITY_BYTES",
    kind: "integer",
    default: "107374182400",
    min: 1,
    description: "file backend: the bytes of volumes it offers (sparse files take only what is written).",
  },
} as const;

/** The factory an app lists among its backends; `--backend file` selects it. */
export const fileVolumeBackend: BackendFactory<VolumeBackend, typeof settings> = {
  name: "file",
  settings,
  async open(values, context) {
    for (const kind of ["volumes", "snapshots"] satisfies Kind[]) {
      await mkdir(join(context.stateDir, kind), { recursive: true, mode: 0o700 });
    }
    context.logger.info({ dir: context.stateDir }, "file volume backend opened");
    return new FileVolumeBackend(
      context.stateDir,
      context.owner.instanceId,
      BigInt(values.fileCapacityBytes),
    );
  },
};
