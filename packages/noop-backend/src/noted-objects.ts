import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { CreationTag, OwnedResource, Placement } from "@iri/backend-api";

interface Note {
  id: string;
  owner: string;
  /** The creation tag of the store that asked for it (absent in journals written before tags existed). */
  created?: CreationTag;
  placement: Placement;
  sizeBytes?: string;
}

/** A journal line: a note, or `{"id": …, "gone": true}`. */
type Line = Note | { id: string; gone: true };

const JOURNAL = "noted.jsonl";

/**
 * What a noop backend "holds": a journal of the objects it realised, tagged with the provider's instance id,
 * under its state directory. Nothing real exists, but the journal survives kill -9 like real resources do, so
 * the provider's adoption and orphan handling can be tested end to end on the noop backends. One appended
 * line per change (no file per object: creating thousands of small files would be the cost of every create).
 * The journal is compacted at start.
 */
export class NotedObjects {
  private readonly notes = new Map<string, Note>();
  private readonly fd: number;

  constructor(
    dir: string,
    private readonly owner: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, JOURNAL);
    for (const line of readLines(path)) {
      if ("gone" in line) this.notes.delete(line.id);
      else this.notes.set(line.id, line);
    }
    const compacted = [...this.notes.values()].map((n) => `${JSON.stringify(n)}\n`).join("");
    writeFileSync(`${path}.tmp`, compacted, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    this.fd = openSync(path, "a", 0o600);
  }

  note(id: string, created: CreationTag, placement: Placement, sizeBytes?: bigint): void {
    const note: Note = { id, owner: this.owner, created, placement };
    if (sizeBytes !== undefined) note.sizeBytes = String(sizeBytes);
    this.append(note);
    this.notes.set(id, note);
  }

  sizeOf(id: string): bigint | undefined {
    const size = this.notes.get(id)?.sizeBytes;
    return size === undefined ? undefined : BigInt(size);
  }

  has(id: string): boolean {
    return this.notes.has(id);
  }

  forget(id: string): void {
    if (!this.notes.delete(id)) return;
    this.append({ id, gone: true });
  }

  list(): OwnedResource[] {
    return [...this.notes.values()].map((n) => ({
      id: n.id,
      owner: n.owner,
      placement: n.placement,
      ...(n.created ? { created: n.created } : {}),
    }));
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(line: Line): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }
}

/** The journal's lines; a torn last line (a crash mid-append) is skipped. */
function readLines(path: string): Line[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const lines: Line[] = [];
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    try {
      lines.push(JSON.parse(raw) as Line);
    } catch {
      // torn write
    }
  }
  return lines;
}
