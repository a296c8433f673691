/** The files of an IronCore image on local disk, cached by manifest digest (shared by all machines). */
export interface BootImage {
  /** The manifest digest the files were verified against. */
  readonly digest: string;
  /** The raw root file system: the base of a local disk's copy-on-write overlay. */
  readonly rootfs?: string;
  /** With a kernel the machine boots it directly (with initramfs and commandLine when present). */
  readonly kernel?: string;
  readonly initramfs?: string;
  readonly commandLine?: string;
}

/** Where images come from (the OCI registry in production; local files in tests). */
export interface ImageSource {
  /** Fetches (or finds in the cache) the image `ref`; may take long, so the backend runs it as a job. */
  pull(ref: string, signal: AbortSignal): Promise<BootImage>;
  /** Prepares the source at start (the OCI cache removes pulls a crash left half done). */
  open?(): Promise<void>;
  /**
   * Frees cached images beyond the source's byte bound, least recently used first, never one in `inUse`
   * (manifest digests pinned by machines) nor one pulled or used in the last minutes.
   */
  collect?(inUse: ReadonlySet<string>): Promise<void>;
  /** Releases connections (the backend is closing). */
  close?(): Promise<void>;
}

/** The image does not exist or is not an IronCore image: retrying will not help. */
export class ImageUnusableError extends Error {
  override readonly name = "ImageUnusableError";
}
