// The images a machine's local disks are made from: pulled once as background jobs, then pinned in the
// machine's image record, so that a restart or power-on never needs the registry and a disk's overlay never
// sees its base change under it when a tag moves.
import { readdir } from "node:fs/promises";
import { dirname } from "node:path";
import { type MachineIntent, type NotDone, PermanentBackendError } from "@iri/backend-api";
import type { BackendDeps } from "../backend-deps.js";
import { MachineFiles, machinesDir } from "../machine-files.js";
import { readImageRecord, writeImageRecord } from "../model/image-record.js";
import type { VolumePlan } from "../model/volume-plan.js";
import { type BootImage, ImageUnusableError } from "./image-source.js";

/** What a machine boots: the image of its first volume (ref pinned by digest) and its local disks' bases. */
export interface PinnedImages {
  readonly ref: string;
  readonly boot: BootImage | undefined;
  /** The volume whose image boots (the first local disk with an image). */
  readonly bootVolume?: string;
  /** Raw base images of local disks, by volume name. */
  readonly bases: Map<string, string>;
}

/**
 * The image of the boot volume and the bases of local disks. Pulled as de-duplicated jobs the first time,
 * then pinned in the machine's image record; NotDone while a pull runs.
 */
export async function pinnedImages(
  deps: BackendDeps,
  intent: MachineIntent,
  files: MachineFiles,
  volumes: readonly VolumePlan[],
): Promise<PinnedImages | { notDone: NotDone }> {
  const { config, context } = deps;
  const bases = new Map<string, string>();
  const pinned = await readImageRecord(files.imageRecordFile);
  let boot: BootImage | undefined;
  let bootVolume: string | undefined;
  let ref = "";
  for (const plan of volumes) {
    if (plan.kind !== "local" || !plan.image) continue;
    let image = pinned[plan.image];
    if (!image) {
      const key = `qemu-image ${plan.image}`;
      const job = context.jobs.ensure(key, async (handle) => {
        const pulled = await config.imageSource.pull(plan.image ?? "", handle.signal);
        context.event(intent.id, "Normal", "ImagePulled", `image ${plan.image} pulled (${pulled.digest})`);
        return pulled;
      });
      if (job.status === "running") {
        return {
          notDone: { afterMs: 500, reason: "ImagePulling", message: `pulling image ${plan.image}` },
        };
      }
      if (job.status === "failed") {
        context.jobs.forget(key);
        const message = `image ${plan.image}: ${(job.error as Error).message}`;
        if (job.error instanceof ImageUnusableError)
          throw new PermanentBackendError("ImagePullFailed", message);
        throw job.error;
      }
      image = job.value;
      pinned[plan.image] = image;
      await writeImageRecord(files.imageRecordFile, pinned);
      await config.imageSource.collect?.(await pinnedDigests(deps));
    }
    if (image.rootfs) bases.set(plan.name, image.rootfs);
    // The first local disk with an image boots, wherever it is in the list: IronCore's machinepoollet puts
    // the machine's remote volumes (Ceph) first and its local disks after them.
    if (boot === undefined) {
      boot = image;
      bootVolume = plan.name;
      ref = `${plan.image}@${image.digest}`;
    }
  }
  return { ref, boot, bootVolume, bases };
}

/** The manifest digests every machine's image record pins: images the cache must keep. */
async function pinnedDigests(deps: BackendDeps): Promise<Set<string>> {
  const { stateDir } = deps.context;
  const digests = new Set<string>();
  const ids = await readdir(machinesDir(stateDir)).catch(() => []);
  for (const id of ids) {
    const record = await readImageRecord(new MachineFiles(stateDir, id).imageRecordFile).catch(() => ({}));
    for (const image of Object.values(record)) digests.add(image.digest);
  }
  return digests;
}

/**
 * Lets QEMU's user read the cached image files a machine uses (local disks' bases, the kernel and initramfs)
 * and enter their directories. Files outside the state directory are left as they are.
 */
export async function shareImageFiles(deps: BackendDeps, images: PinnedImages): Promise<void> {
  const root = deps.context.stateDir;
  const { confinement } = deps.config;
  for (const path of [...images.bases.values(), images.boot?.kernel, images.boot?.initramfs]) {
    if (path === undefined || !path.startsWith(`${root}/`)) continue;
    await confinement.shareWithQemu(path, 0o640);
    for (let dir = dirname(path); dir.startsWith(`${root}/`); dir = dirname(dir)) {
      await confinement.shareWithQemu(dir, 0o710);
    }
  }
}
