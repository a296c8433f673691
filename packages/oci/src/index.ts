export type { Layer } from "./descriptor.js";
export { isDigest } from "./digest.js";
export { defaultDockerConfigPath } from "./docker-config.js";
export {
  DigestMismatchError,
  ImageNotFoundError,
  InvalidConfigurationError,
  InvalidImageError,
  InvalidReferenceError,
  OciError,
  type OciErrorCode,
  RegistryUnavailableError,
  UnauthorizedError,
} from "./errors.js";
export type { IronCoreConfig, IronCoreLayers } from "./image-manifest.js";
export type { LayerKind } from "./media-types.js";
export * as mediaTypes from "./media-types.js";
export {
  type BlobFileOptions,
  type BlobOptions,
  type IronCoreImage,
  OciClient,
  type OciClientOptions,
  type ResolveOptions,
} from "./oci-client.js";
export { formatReference, type ImageReference, parseReference } from "./reference.js";
