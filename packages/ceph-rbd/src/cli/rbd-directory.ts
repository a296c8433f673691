/**
 * Reads image ids from a pool's `rbd_directory` object, as `rados listomapvals` prints it. The directory is
 * RBD's on-disk index of a pool's (format 2) images: omap keys `name_<image>` → the image's id and
 * `id_<id>` → its name, each value a Ceph string (u32 little-endian length, then the bytes). The format has
 * been stable since format 2 images came (Ceph 0.56); `rbd-directory.spec.ts` compares it with `rbd info`
 * on the real cluster, so a change fails a test rather than a volume.
 *
 * `rados` prints each entry as the key on its own line, `value (N bytes) :`, a hexdump (16 bytes a row, a `*`
 * row for repeated rows, then the end offset) and an empty line. The key is printed raw, so the parse is strict
 * and in order: an image name with line breaks cannot insert an entry without the real `name_` entry of the
 * image asked for appearing too, and a name listed twice is refused.
 */

/** RBD ids are lowercase hex (the client's instance id and a random part); anything else names nothing. */
const IMAGE_ID = /^[0-9a-f]{1,64}$/;
const VALUE_LINE = /^value \((\d+) bytes\) :$/;
const ROW = /^([0-9a-f]{8}) {2}((?:[0-9a-f]{2} {1,2}){0,15}[0-9a-f]{2}) *(?:\|.*\|)?$/;
const END_OFFSET = /^[0-9a-f]{8}$/;

export class RbdDirectoryFormatError extends Error {}

/** The ids of `wanted` images found in `listomapvals rbd_directory` output (an image not listed is absent). */
export function imageIdsIn(output: string, wanted: ReadonlySet<string>): Map<string, string> {
  const lines = output.split("\n");
  const ids = new Map<string, string>();
  let at = 0;
  while (at < lines.length) {
    const key = lines[at] as string;
    if (key === "" && at === lines.length - 1) break;
    const valueLine = VALUE_LINE.exec(lines[at + 1] ?? "");
    if (!valueLine) throw new RbdDirectoryFormatError(`rbd_directory: no value after key line ${at + 1}`);
    const [value, next] = hexdumpAt(lines, at + 2, Number(valueLine[1]));
    at = next;
    if (!key.startsWith("name_")) continue;
    const image = key.slice("name_".length);
    if (!wanted.has(image)) continue;
    if (ids.has(image)) throw new RbdDirectoryFormatError(`rbd_directory lists ${image} twice`);
    ids.set(image, imageIdOf(image, value));
  }
  return ids;
}

/** A `name_` entry's value: a Ceph string holding the id. */
function imageIdOf(image: string, value: Uint8Array): string {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const length = view.byteLength >= 4 ? view.readUInt32LE(0) : -1;
  const id = view.subarray(4).toString("latin1");
  if (length !== view.byteLength - 4 || !IMAGE_ID.test(id)) {
    throw new RbdDirectoryFormatError(`rbd_directory: the id of ${image} is not an RBD id`);
  }
  return id;
}

/** The bytes of the hexdump starting at `lines[from]`, and the index of the line after its blank line. */
function hexdumpAt(lines: readonly string[], from: number, length: number): [Uint8Array, number] {
  const bytes = new Uint8Array(length);
  let filled = 0;
  let previous: number[] = [];
  let repeating = false;
  for (let at = from; at < lines.length; at++) {
    const line = lines[at] as string;
    if (line === "*") {
      repeating = true;
      continue;
    }
    const row = ROW.exec(line);
    const offset = Number.parseInt(row ? (row[1] as string) : END_OFFSET.test(line) ? line : "x", 16);
    if (Number.isNaN(offset) || offset < filled || offset > length) {
      throw new RbdDirectoryFormatError(`rbd_directory: unexpected line ${at + 1}`);
    }
    // A `*` stands for rows equal to the one before, up to this row's offset.
    while (repeating && filled < offset) {
      bytes.set(previous.slice(0, offset - filled), filled);
      filled += Math.min(previous.length, offset - filled);
    }
    repeating = false;
    if (offset !== filled) throw new RbdDirectoryFormatError(`rbd_directory: a gap before line ${at + 1}`);
    if (!row) {
      if (filled !== length || (lines[at + 1] ?? "") !== "") {
        throw new RbdDirectoryFormatError(`rbd_directory: a value ends early at line ${at + 1}`);
      }
      return [bytes, at + 2];
    }
    previous = (row[2] as string).split(/ +/).map((hex) => Number.parseInt(hex, 16));
    if (filled + previous.length > length)
      throw new RbdDirectoryFormatError("rbd_directory: a value overruns");
    bytes.set(previous, filled);
    filled += previous.length;
  }
  throw new RbdDirectoryFormatError("rbd_directory: the output ends inside a value");
}
