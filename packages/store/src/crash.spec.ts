import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonCodec } from "./codecs.js";
import { useTempDir } from "./testdata/helpers.js";

// The child runs the built package (dist/), as a provider would: `turbo test` depends on `build`. When
// running vitest alone, build first; a dist older than the sources fails here rather than test stale code.
const here = dirname(fileURLToPath(import.meta.url));
const writer = join(here, "testdata", "crash-writer.mjs");
const distIndex = join(here, "..", "dist", "index.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".spec.ts")) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

describe("crash safety", () => {
  const temp = useTempDir();

  beforeAll(() => {
    const built = statSync(distIndex, { throwIfNoEntry: false });
    if (built === undefined || built.mtimeMs < newestSource(here)) {
      throw new Error(`dist/ is missing or older than src/: run "pnpm --filter @iri/store build" first`);
    }
  });

  it("keeps every acknowledged write when the process is killed with SIGKILL mid-stream", async () => {
    const path = temp.path();
    const child = spawn(process.execPath, [writer, path], { stdio: ["ignore", "pipe", "inherit"] });
    const created = new Set<string>();
    const deleted = new Set<string>();
    let buffered = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      // Only complete lines count: a line cut by the kill was never fully acknowledged.
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [what, id] = line.split(" ");
        if (what === "created" && id) created.add(id);
        if (what === "deleted" && id) deleted.add(id);
      }
      if (created.size >= 2000 && deleted.size > 0) child.kill("SIGKILL");
    });
    // Lines the child wrote before it died are still in the pipe: read to its end.
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.stdout.on("close", resolve);
    });
    expect(await exited).toBe("SIGKILL");
    expect(created.size).toBeGreaterThanOrEqual(2000);

    const sqlite = new BetterSqlite3(path);
    expect(sqlite.pragma("integrity_check", { simple: true })).toBe("ok");
    sqlite.close();

    const db = temp.open(path);
    const records = db.collection("records", {
      spec: jsonCodec<{ n: number; payload: string }>(),
      status: jsonCodec<{ size: bigint }>(),
    });
    for (const id of created) {
      const n = Number(id.slice(1));
      const record = records.get(id);
      if (deleted.has(id)) {
        expect(record, `${id} was deleted`).toBeUndefined();
        continue;
      }
      // Every third record is deleted right after its create: a delete that committed but was not yet
      // acknowledged may or may not have happened. Every other acknowledged record must be there, intact.
      if (n % 3 === 0 && record === undefined) continue;
      expect(record, `${id} was acknowledged`).toBeDefined();
      expect(record?.spec).toEqual({ n, payload: "x".repeat(1000) });
      expect(record?.status).toEqual({ size: BigInt(n) });
      expect(record?.metadata.labels).toEqual({ n: String(n) });
    }
    // Versions stay monotonic across the crash: a new write gets a version above every surviving one.
    let highest = 0n;
    for (const record of records.list()) {
      if (record.metadata.resourceVersion > highest) highest = record.metadata.resourceVersion;
    }
    const next = await records.create({
      id: "after-crash",
      spec: { n: -1, payload: "" },
      status: { size: 0n },
    });
    expect(next.metadata.resourceVersion).toBeGreaterThan(highest);
  }, 30_000);
});
