import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { jsonCodec } from "../codecs.js";
import { openDatabase } from "../database.js";
import type { Collection, SqliteDatabase } from "../types.js";

export interface MachineSpec {
  image: string;
  cpu: number;
  memory?: bigint;
}
export interface MachineStatus {
  state: string;
  count?: number;
}

/** A fresh directory per test, removed after it; databases opened through it are closed first. */
export function useTempDir(): {
  path(name?: string): string;
  open(name?: string, now?: () => bigint): SqliteDatabase;
} {
  const dirs: string[] = [];
  const open: SqliteDatabase[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const path = (name = "store.db") => {
    const dir = mkdtempSync(join(tmpdir(), "iri-store-"));
    dirs.push(dir);
    return join(dir, name);
  };
  return {
    path,
    open(file = path(), now) {
      const db = openDatabase(now === undefined ? { path: file } : { path: file, now });
      open.push(db);
      return db;
    },
  };
}

export function machines(db: SqliteDatabase): Collection<MachineSpec, MachineStatus> {
  return db.collection("machines", {
    spec: jsonCodec<MachineSpec>(),
    status: jsonCodec<MachineStatus>(),
    kind: "machine",
  });
}

/** Polls until `check` stops throwing, or rethrows its last error after the deadline. */
export async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
