import { constants } from "node:fs";
import { access, lstat, readlink, realpath, stat } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { isValidObjectId } from "@iri/backend-api";
import { MachineFiles, readOptionalFile } from "../machine-files.js";
import { identifyQemu, type QemuIdentity, readCmdline, scanQemuProcesses } from "./qemu-process.js";

/**
 * What a process must show before the backend takes it for one of its QEMUs. Its argv alone proves nothing
 * (any local user can start a process whose argv looks like QEMU's): the kernel's view must match too.
 */
export interface QemuProof {
  /** The real path of the configured QEMU binary, as `/proc/<pid>/exe` shows it. */
  readonly binary: string;
  /** The uid QEMU runs as. */
  readonly uid: number;
  /** The backend's state directory; every machine directory is `<stateDir>/machines/<id>`. */
  readonly stateDir: string;
}

/** The configured binary's real path (a bare name is looked up in PATH, as spawn does). */
export async function resolveQemuBinary(binary: string): Promise<string> {
  if (binary.includes("/")) return realpath(binary);
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return await realpath(candidate);
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${binary} is not in PATH`);
}

/** Why `pid` is not a QEMU of the configured binary running as the configured uid; undefined when it is. */
export async function whyNotOurQemu(pid: number, proof: QemuProof): Promise<string | undefined> {
  let uid: number;
  let exe: string;
  try {
    uid = (await stat(`/proc/${pid}`)).uid;
    exe = await readlink(`/proc/${pid}/exe`);
  } catch (error) {
    return `pid ${pid} cannot be inspected (${(error as NodeJS.ErrnoException).code ?? "error"})`;
  }
  if (uid !== proof.uid) return `pid ${pid} runs as uid ${uid}, not ${proof.uid}`;
  // A QEMU started before its package was upgraded shows its old binary as deleted; it is still ours.
  if (exe !== proof.binary && exe !== `${proof.binary} (deleted)`) {
    return `pid ${pid} runs ${exe}, not ${proof.binary}`;
  }
  return undefined;
}

/**
 * Why the directory of machine `id` is not one this backend created: it must be a real directory (not a
 * link) at `<stateDir>/machines/<id>`, owned by the provider's uid. Undefined when it is.
 */
export async function whyNotOurMachineDir(id: string, stateDir: string): Promise<string | undefined> {
  if (!isValidObjectId(id)) return `${JSON.stringify(id)} is not an object id`;
  const dir = new MachineFiles(stateDir, id).dir;
  try {
    const info = await lstat(dir);
    if (!info.isDirectory()) return `${dir} is not a directory`;
    if (info.uid !== process.geteuid?.()) return `${dir} belongs to uid ${info.uid}`;
  } catch (error) {
    return `${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`;
  }
  return undefined;
}

/** A running QEMU with what its argv says, and why it is not proven ours (undefined: proven). */
export interface ScannedQemu extends QemuIdentity {
  readonly pid: number;
  readonly unproven: string | undefined;
}

/**
 * The QEMU of `machineId` whose pid is in its pid file: the pid file sits in the machine's own directory,
 * the process's argv names that machine and pid file, and its executable and uid are the configured ones.
 * A stale pid file (the pid reused by something else) or a look-alike process gives undefined.
 */
export async function findMachineProcess(machineId: string, proof: QemuProof): Promise<number | undefined> {
  if ((await whyNotOurMachineDir(machineId, proof.stateDir)) !== undefined) return undefined;
  const { pidFile } = new MachineFiles(proof.stateDir, machineId);
  const text = await readOptionalFile(pidFile);
  const pid = Number.parseInt(text?.trim() ?? "", 10);
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  const argv = await readCmdline(pid);
  const identity = argv && identifyQemu(argv);
  if (!identity || identity.machineId !== machineId || identity.pidFile !== pidFile) return undefined;
  return (await whyNotOurQemu(pid, proof)) === undefined ? pid : undefined;
}

/**
 * Every process whose argv looks like a QEMU of this backend (a valid machine id, a pid file at the place
 * the backend gives that machine), with why it is not proven ours. Processes that do not even claim that
 * much are left out.
 */
export async function scanOurQemus(proof: QemuProof): Promise<ScannedQemu[]> {
  const found: ScannedQemu[] = [];
  for (const process of await scanQemuProcesses()) {
    if (!isValidObjectId(process.machineId)) continue;
    if (process.pidFile !== new MachineFiles(proof.stateDir, process.machineId).pidFile) continue;
    found.push({ ...process, unproven: await whyNotOurQemu(process.pid, proof) });
  }
  return found;
}
