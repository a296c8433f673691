import { readdir } from "node:fs/promises";
import type { OwnedResource } from "@iri/backend-api";
import type { BackendDeps } from "./backend-deps.js";
import { scanOurQemus, whyNotOurMachineDir } from "./host/qemu-ownership.js";
import { MachineFiles, machinesDir, readCreationTag, readOptionalFile } from "./machine-files.js";

/**
 * Every machine the backend holds: the directories it made (with their owner and creation tags), and our
 * QEMUs whose directory is gone, reported as unproven.
 */
export async function listOwnedMachines(deps: BackendDeps): Promise<OwnedResource[]> {
  const { context } = deps;
  const owned = new Map<string, OwnedResource>();
  let entries: string[] = [];
  try {
    entries = await readdir(machinesDir(context.stateDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const id of entries) {
    // Only a directory the backend made (a valid id, a real directory of the provider's uid) is a machine.
    const notOurs = await whyNotOurMachineDir(id, context.stateDir);
    if (notOurs !== undefined) {
      context.logger.warn({ entry: id, because: notOurs }, "machines directory entry left alone");
      continue;
    }
    const files = new MachineFiles(context.stateDir, id);
    const owner = (await readOptionalFile(files.ownerFile))?.trim() ?? "";
    const created = await readCreationTag(files);
    owned.set(id, { id, owner, ...(created ? { created } : {}) });
  }
  // A QEMU whose directory is gone cannot prove which machine it is (its pid file is not in a directory of
  // ours): reported for an operator when the kernel says it is our QEMU binary as our uid, never removed.
  for (const process of await scanOurQemus(deps.proof)) {
    if (owned.has(process.machineId) || process.unproven !== undefined) continue;
    owned.set(process.machineId, {
      id: process.machineId,
      owner: process.owner,
      unproven: `QEMU pid ${process.pid} names machine ${process.machineId}, whose directory is gone`,
    });
  }
  return [...owned.values()];
}
