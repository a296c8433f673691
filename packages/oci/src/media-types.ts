// Media types of OCI manifests and of IronCore image parts, current and legacy (v1alpha1); see
// shared/docs/reference/ironcore-image.md.

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

export const IMAGE_MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];

export const IRONCORE_CONFIG = "application/vnd.ironcore.image.config.v1+json";
export const IRONCORE_CONFIG_LEGACY = "application/vnd.ironcore.image.config.v1alpha1+json";

/** The kinds of layer an IronCore image may carry; each appears at most once in an `IronCoreImage`. */
export type LayerKind = "rootfs" | "kernel" | "initramfs" | "squashfs" | "uki" | "iso";

interface LayerType {
  readonly kind: LayerKind;
  readonly legacy: boolean;
}

export const IRONCORE_LAYER_TYPES: ReadonlyMap<string, LayerType> = new Map([
  ["application/vnd.ironcore.image.rootfs", { kind: "rootfs", legacy: false }],
  ["application/vnd.ironcore.image.rootfs.v1alpha1.rootfs", { kind: "rootfs", legacy: true }],
  ["application/vnd.ironcore.image.kernel", { kind: "kernel", legacy: false }],
  ["application/vnd.ironcore.image.vmlinuz.v1alpha1.vmlinuz", { kind: "kernel", legacy: true }],
  ["application/vnd.ironcore.image.initramfs", { kind: "initramfs", legacy: false }],
  ["application/vnd.ironcore.image.initramfs.v1alpha1.initramfs", { kind: "initramfs", legacy: true }],
  ["application/vnd.ironcore.image.squashfs", { kind: "squashfs", legacy: false }],
  ["application/vnd.ironcore.image.squashfs.v1alpha1.squashfs", { kind: "squashfs", legacy: true }],
  ["application/vnd.ironcore.image.uki", { kind: "uki", legacy: false }],
  ["application/vnd.ironcore.image.iso", { kind: "iso", legacy: false }],
]);
