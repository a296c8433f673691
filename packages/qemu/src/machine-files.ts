import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type CreationTag, isValidObjectId } from "@iri/backend-api";

/**
 * Where one machine's files live: `<stateDir>/machines/<id>/`, its sockets in `<stateDir>/sockets/`. The directory is 0700 and every file in it
 * is written 0600 (ignition and the device inventory may hold what a user considers private).
 */
export class MachineFiles {
  readonly dir: string;
  private readonly socketPrefix: string;

  constructor(
    stateDir: string,
    readonly id: string,
  ) {
    // Every path below is built from the id: one that could leave the machines directory names nothing.
    if (!isValidObjectId(id)) throw new Error(`${JSON.stringify(id)} is not a machine id`);
    this.dir = join(machinesDir(stateDir), id);
    // Unix socket paths stop at 107 bytes and machine ids are long: the sockets live in a flat directory
    // under short names derived from the id.
    this.socketPrefix = join(
      socketsDir(stateDir),
      createHash("sha256").update(id).digest("hex").slice(0, 16),
    );
  }

  get qmpSocket(): string {
    return `${this.socketPrefix}.qmp`;
  }
  get serialSocket(): string {
    return `${this.socketPrefix}.serial`;
  }
  get consoleLog(): string {
    return join(this.dir, "console.log");
  }
  get pidFile(): string {
    return join(this.dir, "qemu.pid");
  }
  /** QEMU's own messages (-D) and stderr of the launch. */
  get qemuLog(): string {
    return join(this.dir, "qemu.log");
  }
  /** The owner instance id, written before anything else is created. */
  get ownerFile(): string {
    return join(this.dir, "owner");
  }
  /** The creation tag (lineage and generation) of the store that created the machine. */
  get createdFile(): string {
    return join(this.dir, "created.json");
  }
  get ignitionFile(): string {
    return join(this.dir, "ignition");
  }
  get hostnameFile(): string {
    return join(this.dir, "hostname");
  }
  get networkMetadataFile(): string {
    return join(this.dir, "network-interfaces.json");
  }
  /** Which QEMU device belongs to which spec entry (see device-inventory.ts). */
  get inventoryFile(): string {
    return join(this.dir, "devices.json");
  }
  /** Power state the backend acted on (see power-record.ts). */
  get powerFile(): string {
    return join(this.dir, "power.json");
  }
  /** The images the machine's disks were made from, pinned by digest (see image-record.ts). */
  get imageRecordFile(): string {
    return join(this.dir, "images.json");
  }
  /** The machine's own cgroup (or systemd scope) name. */
  get cgroupName(): string {
    return `iri-${this.socketPrefix.slice(-16)}`;
  }
  get socketsDir(): string {
    return dirname(this.socketPrefix);
  }
  get disksDir(): string {
    return join(this.dir, "disks");
  }
  diskFile(key: string): string {
    return join(this.disksDir, `${key}.qcow2`);
  }

  async ensure(): Promise<void> {
    await mkdir(this.disksDir, { recursive: true, mode: 0o700 });
    await mkdir(dirname(this.socketPrefix), { recursive: true, mode: 0o700 });
  }

  async remove(): Promise<void> {
    await rm(this.qmpSocket, { force: true });
    await rm(this.serialSocket, { force: true });
    await rm(this.dir, { recursive: true, force: true });
  }
}

function socketsDir(stateDir: string): string {
  return join(stateDir, "sockets");
}

/** The longest socket path a state directory gives (QEMU refuses paths of 108 bytes and more). */
export function longestSocketPath(stateDir: string): number {
  return Buffer.byteLength(join(socketsDir(stateDir), `${"0".repeat(16)}.serial`));
}

export function machinesDir(stateDir: string): string {
  return join(stateDir, "machines");
}

export async function readCreationTag(files: MachineFiles): Promise<CreationTag | undefined> {
  const tag = await readJsonFile<Partial<CreationTag> | undefined>(files.createdFile, undefined).catch(
    () => undefined,
  );
  if (typeof tag?.lineage !== "string" || typeof tag.generation !== "number") return undefined;
  return Number.isSafeInteger(tag.generation)
    ? { lineage: tag.lineage, generation: tag.generation }
    : undefined;
}

export function writeCreationTag(files: MachineFiles, tag: CreationTag): Promise<void> {
  return writeJsonFile(files.createdFile, { lineage: tag.lineage, generation: tag.generation });
}

/** Writes a file atomically (temp file + rename) with mode 0600. */
export async function writePrivateFile(path: string, content: string | Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  await rename(temp, path);
}

/** A JSON file's value, or `fallback` when the file does not exist. */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  const text = await readOptionalFile(path);
  return text === undefined ? fallback : (JSON.parse(text) as T);
}

/** Writes a value as JSON, atomically and mode 0600. */
export function writeJsonFile(path: string, value: unknown): Promise<void> {
  return writePrivateFile(path, JSON.stringify(value));
}

/** The file's content, or undefined when it does not exist. */
export async function readOptionalFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
