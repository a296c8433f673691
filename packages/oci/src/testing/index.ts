// Test-only helpers that push IronCore images to a loopback registry over plain HTTP with the OCI
// distribution push API (monolithic blob upload, manifest PUT). Not for production use: no auth, no TLS.
import { createHash } from "node:crypto";

export interface PushedDescriptor {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

export interface PushImageOptions {
  /** The config JSON object (default `{}`). */
  readonly config?: Record<string, unknown>;
  /** Default: the current IronCore config media type. */
  readonly configMediaType?: string;
  readonly layers: readonly { readonly mediaType: string; readonly data: Uint8Array | string }[];
}

export interface PushedImage {
  /** `registryAddr/repo:tag`. */
  readonly reference: string;
  readonly manifestDigest: string;
  readonly manifest: PushedDescriptor;
  readonly config: PushedDescriptor;
  readonly layers: readonly PushedDescriptor[];
}

export const IRONCORE_CONFIG_MEDIA_TYPE = "application/vnd.ironcore.image.config.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function expectStatus(response: Response, expected: number, what: string): Promise<void> {
  if (response.status !== expected) {
    throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  }
}

/** Uploads one blob (POST to start, PUT with the digest) and returns its descriptor. */
export async function pushBlob(
  registryAddr: string,
  repo: string,
  mediaType: string,
  data: Uint8Array | string,
): Promise<PushedDescriptor> {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const digest = sha256(bytes);
  const start = await fetch(`http://${registryAddr}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  await expectStatus(start, 202, `start upload to ${repo}`);
  const location = new URL(start.headers.get("location") ?? "", `http://${registryAddr}`);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  await expectStatus(put, 201, `upload ${digest} to ${repo}`);
  return { digest, size: bytes.length, mediaType };
}

/** PUTs manifest bytes under a tag or digest; returns the descriptor (media type `mediaType`). */
export async function pushManifest(
  registryAddr: string,
  repo: string,
  tagOrDigest: string,
  mediaType: string,
  manifest: Uint8Array | string,
): Promise<PushedDescriptor> {
  const bytes = typeof manifest === "string" ? Buffer.from(manifest) : manifest;
  const response = await fetch(`http://${registryAddr}/v2/${repo}/manifests/${tagOrDigest}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes,
  });
  await expectStatus(response, 201, `push manifest ${repo}:${tagOrDigest}`);
  return { digest: sha256(bytes), size: bytes.length, mediaType };
}

/** Pushes the blobs and an OCI image manifest of an IronCore image, tagged `tag`. */
export async function pushImage(
  registryAddr: string,
  repo: string,
  tag: string,
  options: PushImageOptions,
): Promise<PushedImage> {
  const config = await pushBlob(
    registryAddr,
    repo,
    options.configMediaType ?? IRONCORE_CONFIG_MEDIA_TYPE,
    JSON.stringify(options.config ?? {}),
  );
  const layers: PushedDescriptor[] = [];
  for (const layer of options.layers)
    layers.push(await pushBlob(registryAddr, repo, layer.mediaType, layer.data));
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers });
  const manifest = await pushManifest(registryAddr, repo, tag, OCI_MANIFEST, body);
  return {
    reference: `${registryAddr}/${repo}:${tag}`,
    manifestDigest: manifest.digest,
    manifest,
    config,
    layers,
  };
}

/** Pushes an OCI image index over already pushed manifests, each for `linux/<architecture>`. */
export async function pushIndex(
  registryAddr: string,
  repo: string,
  tag: string,
  manifests: readonly { readonly manifest: PushedDescriptor; readonly architecture: string }[],
): Promise<PushedDescriptor> {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: manifests.map(({ manifest, architecture }) => ({
      ...manifest,
      platform: { os: "linux", architecture },
    })),
  });
  return pushManifest(registryAddr, repo, tag, OCI_INDEX, body);
}

/** Deletes a manifest by digest (and so the tags naming it); the registry must allow deletes. */
export async function deleteManifest(registryAddr: string, repo: string, digest: string): Promise<void> {
  const response = await fetch(`http://${registryAddr}/v2/${repo}/manifests/${digest}`, { method: "DELETE" });
  if (response.status !== 202 && response.status !== 404) {
    throw new Error(`delete manifest ${repo}@${digest}: HTTP ${response.status} ${await response.text()}`);
  }
}
