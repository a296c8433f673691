import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BackendUnavailableError } from "@iri/backend-api";
import { type IronCoreImage, type OciClient, OciError } from "@iri/oci";
import { type BootImage, type ImageSource, ImageUnusableError } from "./image-source.js";

/** The parts of an IronCore image a machine uses, as file names inside its cache directory. */
const PARTS = ["rootfs", "kernel", "initramfs"] as const;

/**
 * IronCore images from OCI registries, cached on local disk by manifest digest: `<dir>/<hex>/{rootfs,kernel,
 * initramfs,image.json}`. Every blob is digest-verified while it streams (by @iri/oci); a directory appears
 * under its final name only when complete (built under a temporary name, then renamed), so a crash never
 * leaves a half image that looks cached. Machines share one copy: local disks are overlays on `rootfs`.
 */
export class OciImageCache implements ImageSource {
  constructor(
    private readonly client: OciClient,
    private readonly dir: string,
  ) {}

  async pull(ref: string, signal: AbortSignal): Promise<BootImage> {
    try {
      const image = await this.client.resolveImage(ref, { signal });
      const target = join(this.dir, image.manifestDigest.replace(/^sha256:/, ""));
      const cached = await this.read(target);
      if (cached) return cached;
      return await this.fetch(image, target, signal);
    } catch (error) {
      if (!(error instanceof OciError)) throw error;
      if (error.code === "RegistryUnavailable") {
        throw new BackendUnavailableError(`registry unavailable for ${ref}: ${error.message}`, {
          cause: error,
        });
      }
      throw new ImageUnusableError(`${error.code}: ${error.message}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async fetch(image: IronCoreImage, target: string, signal: AbortSignal): Promise<BootImage> {
    const temp = `${target}.${randomBytes(4).toString("hex")}.partial`;
    await mkdir(temp, { recursive: true, mode: 0o700 });
    try {
      for (const part of PARTS) {
        const layer = image[part];
        if (layer) await this.client.fetchBlobToFile(image.reference, layer, join(temp, part), { signal });
      }
      const meta = {
        digest: image.manifestDigest,
        parts: PARTS.filter((part) => image[part] !== undefined),
        ...(image.config.commandLine !== undefined ? { commandLine: image.config.commandLine } : {}),
      };
      await writeFile(join(temp, "image.json"), JSON.stringify(meta), { mode: 0o600 });
      await rename(temp, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another pull of the same digest finished first; its copy is as good as ours.
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
        await rm(temp, { recursive: true, force: true });
      });
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    const cached = await this.read(target);
    if (!cached) throw new Error(`image cache ${target} is incomplete after the pull`);
    return cached;
  }

  private async read(dir: string): Promise<BootImage | undefined> {
    let meta: { digest: string; parts: string[]; commandLine?: string };
    try {
      meta = JSON.parse(await readFile(join(dir, "image.json"), "utf8"));
    } catch {
      return undefined;
    }
    const has = (part: string) => meta.parts.includes(part);
    return {
      digest: meta.digest,
      ...(has("rootfs") ? { rootfs: join(dir, "rootfs") } : {}),
      ...(has("kernel") ? { kernel: join(dir, "kernel") } : {}),
      ...(has("initramfs") ? { initramfs: join(dir, "initramfs") } : {}),
      ...(meta.commandLine !== undefined ? { commandLine: meta.commandLine } : {}),
    };
  }
}
