import type { BootImage } from "../images/image-source.js";
import { readJsonFile, writeJsonFile } from "../machine-files.js";

/** The images a machine uses, by the reference in its spec, as they were when its disks were made. */
export type ImageRecord = Record<string, BootImage>;

export function readImageRecord(path: string): Promise<ImageRecord> {
  return readJsonFile<ImageRecord>(path, {});
}

export function writeImageRecord(path: string, record: ImageRecord): Promise<void> {
  return writeJsonFile(path, record);
}
