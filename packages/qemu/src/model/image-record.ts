import type { BootImage } from "../images/image-source.js";
import { readOptionalFile, writePrivateFile } from "../machine-files.js";

/** The images a machine uses, by the reference in its spec, as they were when its disks were made. */
export type ImageRecord = Record<string, BootImage>;

export async function readImageRecord(path: string): Promise<ImageRecord> {
  const text = await readOptionalFile(path);
  return text === undefined ? {} : (JSON.parse(text) as ImageRecord);
}

export function writeImageRecord(path: string, record: ImageRecord): Promise<void> {
  return writePrivateFile(path, JSON.stringify(record));
}
