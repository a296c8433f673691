import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BackendUnavailableError } from "@iri/backend-api";
import { type IronCoreImage, type OciClient, OciError } from "@iri/oci";
import { type BootImage, type ImageSource, ImageUnusableError } from "./image-source.js";

/** The parts of an IronCore image a machine uses, as file names inside its cache directory. */
const PARTS = ["rootfs", "kernel", "initramfs"] as const;
/** An image pulled or used this recently is kept: a machine may be about to pin it. */
const RECENT_MS = 10 * 60_000;

/**
 * IronCore images from OCI registries, cached on local disk by manifest digest: `<dir>/<hex>/{rootfs,kernel,
 * initramfs,image.json}`. Every blob is digest-verified while it streams (by @iri/oci); a directory appears
 * under its final name only when complete (built under a temporary name, then renamed), so a crash never
 * leaves a half image that looks cached. Machines share one copy: local disks are overlays on `rootfs`.
 * The cache is bounded in bytes: `collect` removes unused images, least recently used first (the time of
 * `image.json` marks the last use); `open` removes `*.partial` directories a crash left behind.
 */
export class OciImageCache implements ImageSource {
  constructor(
    private readonly client: OciClient,
    private readonly dir: string,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(this.dir)) {
      if (entry.endsWith(".partial")) await rm(join(this.dir, entry), { recursive: true, force: true });
    }
  }

  async collect(inUse: ReadonlySet<string>): Promise<void> {
    const images: Array<{ dir: string; digest: string; bytes: number; usedAt: number }> = [];
    for (const entry of await readdir(this.dir).catch(() => [])) {
      if (!/^[0-9a-f]{64}$/.test(entry)) continue;
      const dir = join(this.dir, entry);
      const meta = await stat(join(dir, "image.json")).catch(() => undefined);
      if (!meta) continue;
      let bytes = 0;
      for (const file of await readdir(dir)) {
        bytes += ((await stat(join(dir, file)).catch(() => undefined))?.blocks ?? 0) * 512;
      }
      images.push({ dir, digest: `sha256:${entry}`, bytes, usedAt: meta.mtimeMs });
    }
    let total = images.reduce((sum, image) => sum + image.bytes, 0);
    const now = Date.now();
    for (const image of images.sort((a, b) => a.usedAt - b.usedAt)) {
      if (total <= this.maxBytes) return;
      if (inUse.has(image.digest) || now - image.usedAt < RECENT_MS) continue;
      await rm(image.dir, { recursive: true, force: true });
      total -= image.bytes;
    }
  }

  async pull(ref: string, signal: AbortSignal): Promise<BootImage> {
    try {
      const image = await this.client.resolveImage(ref, { signal });
      const target = join(this.dir, image.manifestDigest.replace(/^sha256:/, ""));
      const cached = await this.read(target);
      if (cached) {
        const now = new Date();
        await utimes(join(target, "image.json"), now, now);
        return cached;
      }
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
