import type { CephCli } from "./cli/ceph-cli.js";
import { Errno, isCephErrno } from "./cli/ceph-command-error.js";

/**
 * The pool-wide cephx user earlier versions handed to every volume (`profile rbd pool=…` on each pool).
 * Volumes move to their own users on their next resync; this user goes once no volume of ours lacks one.
 */
export class LegacyConsumer {
  private constructor(
    private readonly cli: CephCli,
    /** `client.<id>`, or undefined when there is none (any more). */
    private entity: string | undefined,
  ) {}

  /**
   * Finds the legacy user `id`. A user of that name with caps other than the pool-wide rbd profile is not one
   * the provider made (`admin`, say): refused, never touched.
   */
  static async find(cli: CephCli, id: string): Promise<LegacyConsumer> {
    const entity = `client.${id}`;
    let caps: Partial<Record<string, string>>;
    try {
      caps =
        (await cli.cephJson<{ caps: Partial<Record<string, string>> }[]>(["auth", "get", entity]))[0]?.caps ??
        {};
    } catch (error) {
      if (isCephErrno(error, Errno.ENOENT)) return new LegacyConsumer(cli, undefined);
      throw error;
    }
    if (!isPoolWideRbdUser(caps)) {
      throw new Error(
        `--ceph-consumer-id ${id}: ${entity} exists with caps the provider never granted; the provider does not touch it (choose another id)`,
      );
    }
    return new LegacyConsumer(cli, entity);
  }

  get pending(): boolean {
    return this.entity !== undefined;
  }

  /** Removes the user once every volume in `volumeEntities` has its own user among `existing` ones. */
  async retireIfUnused(volumeEntities: readonly string[], signal?: AbortSignal): Promise<boolean> {
    const entity = this.entity;
    if (entity === undefined) return false;
    const existing = new Set(
      (
        (await this.cli.cephJson<{ auth_dump: { entity: string }[] }>(["auth", "ls"], { signal }))
          .auth_dump ?? []
      ).map((e) => e.entity),
    );
    if (volumeEntities.some((v) => !existing.has(v))) return false;
    try {
      await this.cli.ceph(["auth", "del", entity], { signal });
    } catch (error) {
      if (!isCephErrno(error, Errno.ENOENT)) throw error;
    }
    this.entity = undefined;
    return true;
  }
}

/** `mon 'profile rbd'` and only `profile rbd pool=…` grants for osd and mgr: what earlier versions made. */
function isPoolWideRbdUser(caps: Partial<Record<string, string>>): boolean {
  const poolProfiles = /^profile rbd pool=[^\s,]+(, profile rbd pool=[^\s,]+)*$/;
  return Object.entries(caps).every(([service, value]) => {
    if (service === "mon") return value === "profile rbd";
    if (service === "osd" || service === "mgr") return poolProfiles.test(value ?? "");
    return false;
  });
}
