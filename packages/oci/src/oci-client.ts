import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { rootCertificates } from "node:tls";
import { Agent } from "undici";
import type { Layer } from "./descriptor.js";
import { digestOf } from "./digest.js";
import { defaultDockerConfigPath, readDockerConfig } from "./docker-config.js";
import { DigestMismatchError, InvalidConfigurationError, InvalidImageError } from "./errors.js";
import {
  checkConfigMediaType,
  classifyLayers,
  type IronCoreConfig,
  type IronCoreLayers,
  type ManifestDocument,
  parseIronCoreConfig,
  parseManifestDocument,
  selectPlatform,
} from "./image-manifest.js";
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES } from "./media-types.js";
import { formatReference, type ImageReference, parseReference } from "./reference.js";
import { transportError } from "./registry-errors.js";
import { RegistryTransport } from "./registry-transport.js";
import { bodyStream, readBounded, verifyingStream } from "./verifying-stream.js";

export interface OciClientOptions {
  /**
   * Registries spoken to over plain HTTP: a list of `host[:port]` or a predicate. Default: loopback
   * registries (`localhost`, `127.*`, `[::1]`, any port). Everything else uses HTTPS.
   */
  readonly plainHttp?: readonly string[] | ((registry: string) => boolean);
  /** PEM file of CA certificates trusted in addition to the system roots. */
  readonly caFile?: string;
  /**
   * Docker `config.json` with registry credentials. Default: `$DOCKER_CONFIG/config.json` or
   * `~/.docker/config.json`, used when present. A path given here must exist.
   */
  readonly dockerConfigPath?: string;
  readonly userAgent?: string;
  /** Connect, response-headers and body-idle timeout of each request (default 30 s). */
  readonly timeoutMs?: number;
}

/** An IronCore image resolved to one platform's manifest. Layers absent from the image are undefined. */
export interface IronCoreImage extends IronCoreLayers {
  /** The reference asked for, pinned to `manifestDigest`. */
  readonly reference: ImageReference;
  /** Digest of the platform's image manifest, computed from its bytes. */
  readonly manifestDigest: string;
  /** Digest of the image index the manifest was selected from, when the reference named an index. */
  readonly indexDigest?: string;
  readonly config: IronCoreConfig;
}

export interface ResolveOptions {
  /** The `linux/<architecture>` to select from an image index (default `amd64`). */
  readonly architecture?: string;
  readonly signal?: AbortSignal;
}

export interface BlobOptions {
  readonly signal?: AbortSignal;
}

export interface BlobFileOptions extends BlobOptions {
  /** Mode of the created file (default 0o600). */
  readonly mode?: number;
}

const MANIFEST_LIMIT = 4 * 1024 * 1024;
const CONFIG_LIMIT = 1024 * 1024;
const MANIFEST_ACCEPT = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES].join(", ");

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, "");
  return host === "localhost" || host === "[::1]" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

/** Pulls IronCore images from OCI distribution registries. One client per process is enough. */
export class OciClient {
  private readonly agent: Agent;
  private readonly transport: RegistryTransport;

  /** Reads the CA file and the Docker config now, so a bad configuration fails at start. */
  constructor(options: OciClientOptions = {}) {
    const timeout = options.timeoutMs ?? 30_000;
    this.agent = new Agent({
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: {
        timeout,
        ...(options.caFile !== undefined && { ca: [...rootCertificates, readCaFile(options.caFile)] }),
      },
    });
    const plainHttp = options.plainHttp ?? isLoopback;
    const credentials = readDockerConfig(
      options.dockerConfigPath ?? defaultDockerConfigPath(),
      options.dockerConfigPath !== undefined,
    );
    this.transport = new RegistryTransport(
      this.agent,
      credentials,
      typeof plainHttp === "function" ? plainHttp : (registry) => plainHttp.includes(registry),
      options.userAgent ?? "iri-providers-oci",
    );
  }

  /**
   * Resolves a tag or digest to the image manifest for `linux/<architecture>` and reads its config.
   * Throws `ImageNotFoundError`, `InvalidImageError`, `UnauthorizedError`, `RegistryUnavailableError`,
   * `DigestMismatchError` (a digest-pinned manifest whose bytes do not match), `InvalidReferenceError`.
   */
  async resolveImage(
    reference: string | ImageReference,
    options: ResolveOptions = {},
  ): Promise<IronCoreImage> {
    const ref = typeof reference === "string" ? parseReference(reference) : reference;
    const architecture = options.architecture ?? "amd64";
    let top = await this.fetchManifest(ref, ref.digest ?? (ref.tag as string), options.signal);
    let indexDigest: string | undefined;
    if (top.document.kind === "index") {
      const entry = selectPlatform(top.document.manifests, architecture);
      indexDigest = top.digest;
      top = await this.fetchManifest(ref, entry.digest, options.signal);
      if (top.document.kind !== "image") {
        throw new InvalidImageError(
          `index entry ${entry.digest} for linux/${architecture} is not an image manifest`,
        );
      }
    }
    const { config, layers } = top.document as Extract<ManifestDocument, { kind: "image" }>;
    checkConfigMediaType(config);
    const classified = classifyLayers(layers);
    if (config.size > CONFIG_LIMIT)
      throw new InvalidImageError(`image config is larger than ${CONFIG_LIMIT} bytes`);
    // The verifying stream already bounds the config to its declared size.
    const configBytes = await readBounded(
      await this.openBlob(ref, config, options),
      CONFIG_LIMIT,
      () => new InvalidImageError("image config is too large"),
    );
    return {
      ...classified,
      reference: { ...ref, digest: top.digest },
      manifestDigest: top.digest,
      ...(indexDigest !== undefined && { indexDigest }),
      config: parseIronCoreConfig(configBytes),
    };
  }

  /**
   * Streams a blob of the image's repository. The promise rejects for HTTP failures; the stream fails with
   * `DigestMismatchError` when the content is not `layer`'s size and digest (at the latest at its end), and
   * with `RegistryUnavailableError` when the connection breaks.
   */
  async openBlob(
    reference: string | ImageReference,
    layer: Layer,
    options: BlobOptions = {},
  ): Promise<Readable> {
    const ref = typeof reference === "string" ? parseReference(reference) : reference;
    const what = `blob ${layer.digest} of ${ref.registry}/${ref.repository}`;
    const response = await this.transport.get(ref, `blobs/${layer.digest}`, { signal: options.signal, what });
    return verifyingStream(bodyStream(response.body), layer, what, (error) =>
      transportError(error, what, options.signal),
    );
  }

  /**
   * Writes a verified blob to `path` atomically: it streams into a `<path>.<random>.partial` file, fsyncs,
   * and renames only once size and digest matched; on any failure the partial file is removed. A crash can
   * leave `*.partial` files, which the caller's cache should sweep at start.
   */
  async fetchBlobToFile(
    reference: string | ImageReference,
    layer: Layer,
    path: string,
    options: BlobFileOptions = {},
  ): Promise<void> {
    const partial = `${path}.${randomBytes(6).toString("hex")}.partial`;
    try {
      const blob = await this.openBlob(reference, layer, options);
      await pipeline(
        blob,
        createWriteStream(partial, { flags: "wx", mode: options.mode ?? 0o600, flush: true }),
        {
          ...(options.signal !== undefined && { signal: options.signal }),
        },
      );
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await fsyncDirectory(dirname(path));
  }

  /** Closes idle connections; requests in flight fail. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private async fetchManifest(
    ref: ImageReference,
    tagOrDigest: string,
    signal: AbortSignal | undefined,
  ): Promise<{ digest: string; document: ManifestDocument }> {
    const pinned = tagOrDigest.includes(":") ? tagOrDigest : undefined;
    const what = `manifest ${formatReference({ registry: ref.registry, repository: ref.repository })}${pinned ? `@${pinned}` : `:${tagOrDigest}`}`;
    const response = await this.transport.get(ref, `manifests/${tagOrDigest}`, {
      accept: MANIFEST_ACCEPT,
      signal,
      what,
    });
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > MANIFEST_LIMIT) {
      await response.body?.cancel();
      throw new InvalidImageError(`${what} is larger than ${MANIFEST_LIMIT} bytes`);
    }
    let bytes: Buffer;
    try {
      bytes = await readBounded(
        bodyStream(response.body),
        MANIFEST_LIMIT,
        () => new InvalidImageError(`${what} is larger than ${MANIFEST_LIMIT} bytes`),
      );
    } catch (error) {
      throw error instanceof InvalidImageError ? error : transportError(error, what, signal);
    }
    const digest = digestOf(bytes, pinned);
    if (pinned !== undefined && digest !== pinned) {
      throw new DigestMismatchError({ digest: pinned }, { digest, size: bytes.length }, what);
    }
    return {
      digest,
      document: parseManifestDocument(bytes, response.headers.get("content-type") ?? undefined),
    };
  }
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new InvalidConfigurationError(`cannot read CA file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

// Makes the rename durable: without it a power loss can forget the new directory entry.
async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
