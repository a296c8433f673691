import { createHash } from "node:crypto";
import { PermanentBackendError } from "@iri/backend-api";
import { Errno, isCephErrno } from "./cli/ceph-command-error.js";
import type { Answer, CephShells } from "./cli/ceph-shell.js";

/** An RBD image as cephx caps name it: by pool, RBD id (data, header, object map) and name (its id object). */
export interface CapImage {
  readonly pool: string;
  readonly id: string;
}

export interface VolumeCaps {
  readonly mon: string;
  readonly osd: string;
}

/**
 * Exactly what a consumer needs to open one volume (verified on Ceph 16, see PLATFORM-NOTES.md): read and
 * write its own image's objects, read its id object and the pool's `rbd_info` (without which the open fails)
 * and `rbd_mirroring` (which silences librbd's mirror-state warning), and read-only the header, data and
 * object map of each parent up its clone chain, plus the one `rbd_directory` method librbd opens a parent
 * with (`dir_get_name`: a parent is opened by id). No listing, no other image, no snapshot of another image.
 */
export function volumeCaps(
  own: CapImage & { readonly name: string },
  parents: readonly CapImage[],
): VolumeCaps {
  const p = own.pool;
  const osd = [
    `allow rwx pool=${p} object_prefix rbd_data.${own.id}`,
    `allow rwx pool=${p} object_prefix rbd_header.${own.id}`,
    `allow rwx pool=${p} object_prefix rbd_object_map.${own.id}`,
    `allow rx pool=${p} object_prefix rbd_id.${own.name}`,
    `allow rx pool=${p} object_prefix rbd_info`,
    `allow r pool=${p} object_prefix rbd_mirroring`,
    ...parents.flatMap((parent) => [
      `allow rx pool=${parent.pool} object_prefix rbd_header.${parent.id}`,
      `allow rx pool=${parent.pool} object_prefix rbd_data.${parent.id}`,
      `allow rx pool=${parent.pool} object_prefix rbd_object_map.${parent.id}`,
    ]),
    ...[...new Set(parents.map((parent) => parent.pool))].map(
      (pool) => `allow pool=${pool} object_prefix rbd_directory class rbd dir_get_name`,
    ),
  ];
  return { mon: "profile rbd", osd: osd.join(", ") };
}

/** A short fingerprint of caps, recorded in the provider's store to skip cephx calls when nothing changed. */
export function capsFingerprint(caps: VolumeCaps): string {
  return createHash("sha256").update(`${caps.mon}\n${caps.osd}`).digest("hex").slice(0, 16);
}

interface AuthEntry {
  readonly entity: string;
  readonly key: string;
  readonly caps: Partial<Record<string, string>>;
}

/**
 * Per-volume cephx users. The provider owns a user when its own store recorded it, or when the user's caps
 * are exactly the ones the provider would grant (they name the image's unique RBD id: a crash between
 * creating the user and recording it). A user of that name with other caps is someone else's: never
 * overwritten, never removed.
 */
export class VolumeIdentities {
  /** The mon commands go to long-lived `ceph` processes: a `ceph` process per command was a volume's slowest call. */
  constructor(private readonly shells: CephShells) {}

  /**
   * Creates the user with exactly `caps`, or narrows/widens a recorded user's caps to them; resolves to its
   * key. One `auth get-or-create` for a new user.
   */
  async ensure(entity: string, caps: VolumeCaps, recorded: boolean, signal?: AbortSignal): Promise<string> {
    try {
      return keyOf(entity, await this.json(["auth", "get-or-create", entity, ...capArgs(caps)], signal));
    } catch (error) {
      // EINVAL: the user exists with other caps.
      if (!isCephErrno(error, Errno.EINVAL)) throw error;
    }
    if (!recorded) {
      throw new PermanentBackendError(
        "CephIdentityTaken",
        `the cephx user ${entity} exists with caps this provider did not grant; it is not overwritten`,
      );
    }
    await this.shells.run(["auth", "caps", entity, ...capArgs(caps)], CAPS_UPDATED, signal);
    return keyOf(entity, await this.json(["auth", "get", entity], signal));
  }

  /** Sets a recorded user's caps (after its parent went away); false when there is no such user. */
  async narrow(entity: string, caps: VolumeCaps, ownImage: CapImage, signal?: AbortSignal): Promise<boolean> {
    const current = await this.get(entity, signal);
    if (!current || !grantsImage(current, ownImage)) return false;
    await this.shells.run(["auth", "caps", entity, ...capArgs(caps)], CAPS_UPDATED, signal);
    return true;
  }

  /**
   * Removes the user of a volume. Without a record, only a user whose caps grant this volume's image (made by
   * the provider for it) is removed.
   */
  async remove(
    entity: string,
    recorded: boolean,
    ownImage: CapImage | undefined,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (!recorded) {
      const current = await this.get(entity, signal);
      if (!current || !ownImage || !grantsImage(current, ownImage)) return false;
    }
    return (await this.shells.run(["auth", "del", entity], DELETED, signal)) === "updated";
  }

  async get(entity: string, signal?: AbortSignal): Promise<AuthEntry | undefined> {
    try {
      return (await this.json(["auth", "get", entity], signal)).find((entry) => entry.entity === entity);
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return undefined;
      throw error;
    }
  }

  /**
   * The caps of every user `wanted` accepts, by entity, from one `auth ls`. Its answer holds every user's key:
   * only names and caps are kept (strings, else the entry is left out), nothing of it is logged.
   */
  async listCaps(
    wanted: (entity: string) => boolean,
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, VolumeCaps>> {
    const line = await this.shells.run(["auth", "ls"], JSON_ANSWER, signal);
    let dump: unknown;
    try {
      dump = (JSON.parse(line) as { auth_dump?: unknown }).auth_dump;
    } catch (error) {
      throw new Error("ceph auth ls: output is not JSON", { cause: error });
    }
    if (!Array.isArray(dump)) throw new Error("ceph auth ls: no auth_dump list in the answer");
    const users = new Map<string, VolumeCaps>();
    for (const entry of dump as Partial<AuthEntry>[]) {
      const { entity, caps } = entry;
      if (typeof entity !== "string" || !wanted(entity)) continue;
      const mon = caps?.mon ?? "";
      const osd = caps?.osd ?? "";
      if (typeof mon === "string" && typeof osd === "string") users.set(entity, { mon, osd });
    }
    return users;
  }

  /** Ends the long-lived `ceph` processes. */
  close(): void {
    this.shells.close();
  }

  private async json(args: string[], signal?: AbortSignal): Promise<AuthEntry[]> {
    const line = await this.shells.run(args, JSON_ANSWER, signal);
    try {
      return JSON.parse(line) as AuthEntry[];
    } catch (error) {
      throw new Error(`ceph ${args.slice(0, 2).join(" ")}: output is not JSON`, { cause: error });
    }
  }
}

const JSON_ANSWER: Answer = { kind: "json" };
const CAPS_UPDATED: Answer = { kind: "status", success: /^updated caps for / };
/** `auth del` answers `updated`, or (also a success) that there is no such entity. */
const DELETED: Answer = { kind: "status", success: /^updated$|^entity \S+ does not exist$/ };

function grantsImage(entry: AuthEntry, image: CapImage): boolean {
  return (entry.caps.osd ?? "").includes(`pool=${image.pool} object_prefix rbd_header.${image.id},`);
}

function capArgs(caps: VolumeCaps): string[] {
  return ["mon", caps.mon, "osd", caps.osd];
}

/** The key of `entity` in an answer; an answer about another entity is a fault, not a key to hand out. */
function keyOf(entity: string, entries: AuthEntry[]): string {
  const key = entries.find((entry) => entry.entity === entity)?.key;
  if (!key) throw new Error(`ceph auth returned no key for ${entity}`);
  return key;
}
