import { closeSync, fchmodSync, fdatasyncSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { StoreError } from "./errors.js";
import { FileSyncer } from "./file-syncer.js";
import type { Step } from "./write-batch.js";

// The database file: schema, the persisted resourceVersion counter, and the few statements the store runs.
// Every statement goes through `run`/`all` here so that tests can see that reads never reach SQLite.

const SCHEMA_VERSION = 1n;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS records (
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  resource_version INTEGER NOT NULL,
  created_version INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  finalizers TEXT NOT NULL,
  spec BLOB NOT NULL,
  status BLOB NOT NULL,
  PRIMARY KEY (collection, id)
) STRICT;
`;

/** A stored row; INTEGER columns are read as bigint (safeIntegers) so nanosecond times stay exact. */
export interface RecordRow {
  id: string;
  resource_version: bigint;
  created_version: bigint;
  generation: bigint;
  created_at: bigint;
  deleted_at: bigint;
  labels: string;
  annotations: string;
  finalizers: string;
  spec: Uint8Array;
  status: Uint8Array;
}

/** New value bytes for one stored record. */
export interface ValueRow {
  collection: string;
  id: string;
  spec: Uint8Array;
  status: Uint8Array;
}

export interface SqliteCounters {
  /** Transactions committed by writes (group commits). */
  commits: number;
  /** Statements executed, including schema setup and loading. */
  statements: number;
}

export class SqliteFile {
  readonly counters: SqliteCounters = { commits: 0, statements: 0 };
  private readonly db: BetterSqlite3.Database;
  private readonly insertRecord: BetterSqlite3.Statement;
  private readonly updateRecord: BetterSqlite3.Statement;
  private readonly deleteRecord: BetterSqlite3.Statement;
  private readonly selectCollection: BetterSqlite3.Statement;
  private readonly setVersion: BetterSqlite3.Statement;
  private readonly setValues: BetterSqlite3.Statement;
  private readonly commitSteps: (steps: readonly Step<unknown, unknown>[], version: bigint) => void;

  /** The store's resourceVersion counter as last committed. */
  readonly committedVersion: bigint;

  private readonly logPath: string;
  private readonly log: FileSyncer;
  private readonly data: FileSyncer;

  constructor(path: string) {
    this.logPath = `${path}-wal`;
    this.log = new FileSyncer(this.logPath);
    this.data = new FileSyncer(path);
    createPrivateFile(path);
    // timeout 0: the file is locked exclusively by its owner (below), so waiting would only delay the error.
    this.db = new BetterSqlite3(path, { timeout: 0 });
    try {
      // One process owns the file: its in-memory index must see every write. EXCLUSIVE makes a second opener
      // fail instead of writing behind the owner's back (and keeps the WAL index in process memory).
      this.db.pragma("locking_mode = EXCLUSIVE");
      const mode = this.db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new StoreError("Unavailable", `cannot enable WAL on ${path} (got ${mode})`);
      // OFF: SQLite never waits for the disk itself; the store does it, from the libuv pool (docs/decisions.md,
      // "Commits off the event loop"): `syncLog` fdatasyncs the WAL after every commit, before the write is
      // acknowledged or seen; `checkpoint` copies the WAL into the database and fdatasyncs the database before
      // the next commit may reuse the WAL. Same guarantee as FULL, without holding the event loop.
      this.db.pragma("synchronous = OFF");
      // Checkpoints run only through `checkpoint` (the automatic one would run inside a commit, unsynced).
      this.db.pragma("wal_autocheckpoint = 0");
      this.committedVersion = this.db
        .transaction(() => {
          this.db.exec(SCHEMA);
          this.counters.statements += 1;
          return this.initMeta(path);
        })
        // IMMEDIATE takes the write lock now, which EXCLUSIVE mode then keeps until close.
        .immediate();
    } catch (error) {
      this.db.close();
      if ((error as { code?: unknown }).code === "SQLITE_BUSY") {
        throw new StoreError("Unavailable", `store ${path} is in use by another process`, { cause: error });
      }
      throw error;
    }

    this.insertRecord = this.db.prepare(
      `INSERT INTO records (collection, id, resource_version, created_version, generation, created_at,
         deleted_at, labels, annotations, finalizers, spec, status)
       VALUES (@collection, @id, @resourceVersion, @createdVersion, @generation, @createdAt, @deletedAt,
         @labels, @annotations, @finalizers, @spec, @status)`,
    );
    this.updateRecord = this.db.prepare(
      `UPDATE records SET resource_version = @resourceVersion, generation = @generation,
         deleted_at = @deletedAt, labels = @labels, annotations = @annotations, finalizers = @finalizers,
         spec = coalesce(@spec, spec), status = coalesce(@status, status)
       WHERE collection = @collection AND id = @id`,
    );
    this.deleteRecord = this.db.prepare("DELETE FROM records WHERE collection = ? AND id = ?");
    this.selectCollection = this.db
      .prepare(
        `SELECT id, resource_version, created_version, generation, created_at, deleted_at, labels,
           annotations, finalizers, spec, status
         FROM records WHERE collection = ? ORDER BY created_version`,
      )
      .safeIntegers(true);
    this.setVersion = this.db.prepare(
      "INSERT INTO store_meta (key, value) VALUES ('resource_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    this.setValues = this.db.prepare(
      "UPDATE records SET spec = @spec, status = @status WHERE collection = @collection AND id = @id",
    );
    this.commitSteps = this.db.transaction((steps: readonly Step<unknown, unknown>[], version: bigint) => {
      for (const step of steps) this.runStep(step);
      this.run(this.setVersion, [version]);
    });
  }

  loadCollection(collection: string): RecordRow[] {
    this.counters.statements += 1;
    return this.selectCollection.all(collection) as RecordRow[];
  }

  /**
   * Applies the steps and the new counter in one transaction, written to the WAL but not yet on disk: the
   * writes are durable only once `syncLog` resolves. Throws on failure (nothing of the transaction stays).
   */
  commit(steps: readonly Step<unknown, unknown>[], version: bigint): void {
    this.commitSteps(steps, version);
    this.counters.commits += 1;
  }

  /**
   * fdatasync of the WAL in the libuv pool: every transaction committed before the call is then durable.
   * The WAL exists: a commit wrote it, and SQLite keeps the file until the connection closes.
   */
  syncLog(): Promise<void> {
    return this.log.sync();
  }

  /**
   * Copies the WAL's transactions into the database file (page-cache writes, on the caller's thread) and
   * fdatasyncs the database in the libuv pool. Until it resolves, no commit may run: a commit after a complete
   * checkpoint starts the WAL over, which must not overwrite frames the database does not hold durably yet.
   */
  checkpoint(): Promise<void> {
    this.db.pragma("wal_checkpoint(PASSIVE)");
    this.counters.statements += 1;
    return this.data.sync();
  }

  /** Replaces the value bytes of the given records in one transaction (all or none); returns once fsync'd. */
  rewriteValues(rows: readonly ValueRow[]): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      for (const row of rows) this.run(this.setValues, [row]);
    })();
    this.counters.commits += 1;
    // Runs once at start (key rotation), before serving: waiting here holds nothing else up.
    const fd = openSync(this.logPath, "r");
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the file; the caller waits for every pending sync first. */
  close(): void {
    // Closing checkpoints the WAL into the database and deletes it: with FULL, SQLite syncs the database
    // before the WAL goes (a shutdown may wait for that).
    this.db.pragma("synchronous = FULL");
    this.db.close();
    this.log.close();
    this.data.close();
  }

  private runStep(step: Step<unknown, unknown>): void {
    const { metadata } = step.entry.record;
    if (step.kind === "remove") {
      this.run(this.deleteRecord, [step.owner.name, metadata.id]);
      return;
    }
    const row = {
      collection: step.owner.name,
      id: metadata.id,
      resourceVersion: metadata.resourceVersion,
      generation: metadata.generation,
      deletedAt: metadata.deletedAt,
      labels: JSON.stringify(metadata.labels),
      annotations: JSON.stringify(metadata.annotations),
      finalizers: JSON.stringify(metadata.finalizers),
      spec: step.specBytes,
      status: step.statusBytes,
    };
    if (step.event === "added") {
      this.run(this.insertRecord, [
        { ...row, createdVersion: step.entry.createdVersion, createdAt: metadata.createdAt },
      ]);
    } else {
      this.run(this.updateRecord, [row]);
    }
  }

  private run(statement: BetterSqlite3.Statement, params: unknown[]): void {
    this.counters.statements += 1;
    statement.run(...params);
  }

  private initMeta(path: string): bigint {
    const select = this.db.prepare("SELECT value FROM store_meta WHERE key = ?").safeIntegers(true);
    const schema = select.get("schema_version") as { value: bigint } | undefined;
    this.counters.statements += 1;
    if (schema === undefined) {
      this.db.prepare("INSERT INTO store_meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
      this.counters.statements += 1;
    } else if (schema.value !== SCHEMA_VERSION) {
      throw new StoreError(
        "Unavailable",
        `store ${path} has schema version ${schema.value}; this build reads version ${SCHEMA_VERSION}`,
      );
    }
    const version = select.get("resource_version") as { value: bigint } | undefined;
    this.counters.statements += 1;
    return version?.value ?? 0n;
  }
}

/** The database may hold secrets (ignition, keys): directory 0700, file 0600, also when the file exists. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, "a", 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}
