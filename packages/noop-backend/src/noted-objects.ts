import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OwnedResource, Placement } from "@iri/backend-api";

interface Note {
  owner: string;
  placement: Placement;
  sizeBytes?: string;
}

/**
 * What a noop backend "holds": one small file per object under its state directory, tagged with the
 * provider's instance id. Nothing real exists, but the files survive kill -9 like real resources, so the
 * provider's adoption and orphan handling can be tested end to end on the noop backends.
 */
export class NotedObjects {
  constructor(
    private readonly dir: string,
    private readonly owner: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Notes the object (atomically: a crash leaves the old note or the new one). */
  note(id: string, placement: Placement, sizeBytes?: bigint): void {
    const note: Note = {
      owner: this.owner,
      placement,
      ...(sizeBytes === undefined ? {} : { sizeBytes: String(sizeBytes) }),
    };
    const path = this.path(id);
    writeFileSync(`${path}.tmp`, JSON.stringify(note), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  sizeOf(id: string): bigint | undefined {
    const size = this.read(id)?.sizeBytes;
    return size === undefined ? undefined : BigInt(size);
  }

  has(id: string): boolean {
    return this.read(id) !== undefined;
  }

  forget(id: string): void {
    rmSync(this.path(id), { force: true });
  }

  list(): OwnedResource[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => {
        const id = name.slice(0, -".json".length);
        const note = this.read(id);
        return { id, owner: note?.owner ?? "", placement: note?.placement ?? {} };
      });
  }

  private read(id: string): Note | undefined {
    try {
      return JSON.parse(readFileSync(this.path(id), "utf8")) as Note;
    } catch {
      return undefined;
    }
  }

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}
