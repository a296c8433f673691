// Pure interpretation of manifest, index and config bytes; the network side is in oci-client.ts.
import { type Layer, parseDescriptor } from "./descriptor.js";
import { InvalidImageError } from "./errors.js";
import {
  DOCKER_MANIFEST,
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  IRONCORE_CONFIG,
  IRONCORE_CONFIG_LEGACY,
  IRONCORE_LAYER_TYPES,
  type LayerKind,
  OCI_INDEX,
  OCI_MANIFEST,
} from "./media-types.js";

export type IronCoreLayers = { readonly [kind in LayerKind]?: Layer };

export interface IronCoreConfig {
  /** Kernel command line for direct kernel boot. */
  readonly commandLine?: string;
}

export type ManifestDocument =
  | { readonly kind: "index"; readonly manifests: readonly IndexEntry[] }
  | { readonly kind: "image"; readonly config: Layer; readonly layers: readonly Layer[] };

export interface IndexEntry extends Layer {
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (cause) {
    throw new InvalidImageError(`${what} is not valid JSON`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidImageError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Parses a manifest or index. The media type comes from the document's `mediaType` field, else from the
 * response's Content-Type; a document without either is told apart by its `manifests` field.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string | undefined): ManifestDocument {
  const doc = parseJson(bytes, "manifest");
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : contentType?.split(";")[0]?.trim();
  const mediaType =
    declared !== undefined && (IMAGE_MANIFEST_TYPES.includes(declared) || INDEX_TYPES.includes(declared))
      ? declared
      : Array.isArray(doc.manifests)
        ? OCI_INDEX
        : doc.schemaVersion === 2 && doc.config !== undefined
          ? OCI_MANIFEST
          : undefined;
  if (mediaType === undefined) {
    throw new InvalidImageError(`unsupported manifest media type ${JSON.stringify(declared)}`);
  }
  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new InvalidImageError("image index has no manifests list");
    return {
      kind: "index",
      manifests: doc.manifests.map((entry: unknown, i) => {
        const descriptor = parseDescriptor(entry, `index entry ${i}`);
        const platform = (entry as { platform?: unknown }).platform;
        return typeof platform === "object" && platform !== null
          ? { ...descriptor, platform: platform as IndexEntry["platform"] }
          : descriptor;
      }),
    };
  }
  if (!Array.isArray(doc.layers)) throw new InvalidImageError("image manifest has no layers list");
  if (mediaType === DOCKER_MANIFEST && doc.schemaVersion !== 2) {
    throw new InvalidImageError("image manifest is not schemaVersion 2");
  }
  return {
    kind: "image",
    config: parseDescriptor(doc.config, "manifest config"),
    layers: doc.layers.map((layer: unknown, i) => parseDescriptor(layer, `manifest layer ${i}`)),
  };
}

/** The index entry for `linux/<architecture>`; the error names the platforms the index has. */
export function selectPlatform(manifests: readonly IndexEntry[], architecture: string): IndexEntry {
  const match = manifests.find(
    (entry) =>
      entry.platform?.os === "linux" &&
      entry.platform.architecture === architecture &&
      IMAGE_MANIFEST_TYPES.includes(entry.mediaType),
  );
  if (match !== undefined) return match;
  const available = manifests
    .map((entry) =>
      entry.platform ? `${entry.platform.os}/${entry.platform.architecture}` : "(no platform)",
    )
    .join(", ");
  throw new InvalidImageError(
    `image index has no manifest for linux/${architecture} (available: ${available || "none"})`,
  );
}

/**
 * Sorts the layers by kind. Every layer must have an IronCore media type (as in IronCore's image library);
 * where a current and a legacy layer of the same kind are present the current one wins, and two layers of
 * the same kind and generation make the image ambiguous.
 */
export function classifyLayers(layers: readonly Layer[]): IronCoreLayers {
  const chosen: { [kind in LayerKind]?: { layer: Layer; legacy: boolean } } = {};
  for (const layer of layers) {
    const type = IRONCORE_LAYER_TYPES.get(layer.mediaType);
    if (type === undefined) {
      throw new InvalidImageError(
        `unknown layer media type ${JSON.stringify(layer.mediaType)} (${layer.digest})`,
      );
    }
    const previous = chosen[type.kind];
    if (previous !== undefined && previous.legacy === type.legacy) {
      throw new InvalidImageError(
        `image has more than one ${type.kind} layer of media type ${layer.mediaType}`,
      );
    }
    if (previous === undefined || previous.legacy) chosen[type.kind] = { layer, legacy: type.legacy };
  }
  const result: { [kind in LayerKind]?: Layer } = {};
  for (const [kind, entry] of Object.entries(chosen)) result[kind as LayerKind] = entry.layer;
  return result;
}

export function checkConfigMediaType(config: Layer): void {
  if (config.mediaType !== IRONCORE_CONFIG && config.mediaType !== IRONCORE_CONFIG_LEGACY) {
    throw new InvalidImageError(
      `not an IronCore image: config media type ${JSON.stringify(config.mediaType)}`,
    );
  }
}

export function parseIronCoreConfig(bytes: Uint8Array): IronCoreConfig {
  const doc = parseJson(bytes, "image config");
  if (doc.commandLine === undefined || doc.commandLine === null) return {};
  if (typeof doc.commandLine !== "string")
    throw new InvalidImageError("image config commandLine is not a string");
  return { commandLine: doc.commandLine };
}
