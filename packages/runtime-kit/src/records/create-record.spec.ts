import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { type Collection, type Database, jsonCodec, openDatabase } from "@iri/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../errors.js";
import { isValidId } from "../ids.js";
import { createRecord } from "./create-record.js";
import { listRecords } from "./list-records.js";

interface Spec {
  size: number;
}

let dir: string;
let db: Database;
let things: Collection<Spec, Record<string, never>>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "create-record-"));
  db = openDatabase({ path: join(dir, "db") });
  things = db.collection("thing", { spec: jsonCodec<Spec>(), status: jsonCodec<Record<string, never>>() });
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

function input(requestedId: string, size: number) {
  return {
    requestedId,
    labels: { app: "x" },
    annotations: {},
    finalizers: [],
    spec: { size },
    status: {},
    isSameRequest: (existing: { spec: Spec }) => existing.spec.size === size,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof ProviderError ? err.code : undefined;
  }
}

describe("createRecord", () => {
  it("generates a valid id when none is requested", async () => {
    const r = await createRecord(things, input("", 1));
    expect(isValidId(r.metadata.id)).toBe(true);
  });

  it("honours a requested id; the same request again returns the same record, a different one is AlreadyExists", async () => {
    const first = await createRecord(things, input("my-thing", 1));
    expect(first.metadata.id).toBe("my-thing");
    const again = await createRecord(things, input("my-thing", 1));
    expect(again.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(await codeOf(createRecord(things, input("my-thing", 2)))).toBe(Code.AlreadyExists);
    expect(things.count()).toBe(1);
  });

  it("resolves concurrent creates of one id to one record", async () => {
    const results = await Promise.all([
      createRecord(things, input("race", 1)),
      createRecord(things, input("race", 1)),
    ]);
    expect(results[0]?.metadata.id).toBe("race");
    expect(results[1]?.metadata.id).toBe("race");
    expect(things.count()).toBe(1);
  });

  it("rejects an invalid requested id with InvalidArgument and creates nothing", async () => {
    for (const bad of ["a://b", "UPPER", "has/slash", "-lead", "x".repeat(64)]) {
      expect(await codeOf(createRecord(things, input(bad, 1)))).toBe(Code.InvalidArgument);
    }
    expect(things.count()).toBe(0);
  });
});

describe("listRecords", () => {
  it("applies no filter, an exact id (unknown → empty) and an equality label selector", async () => {
    const a = await createRecord(things, { ...input("a", 1), labels: { app: "x", tier: "db" } });
    await createRecord(things, { ...input("b", 1), labels: { app: "y" } });
    expect(listRecords(things, undefined).map((r) => r.metadata.id)).toEqual(["a", "b"]);
    expect(listRecords(things, { id: "a", labelSelector: {} })).toEqual([a]);
    expect(listRecords(things, { id: "zzz", labelSelector: {} })).toEqual([]);
    expect(listRecords(things, { id: "", labelSelector: { tier: "db" } }).map((r) => r.metadata.id)).toEqual([
      "a",
    ]);
    expect(listRecords(things, { id: "", labelSelector: { tier: "" } })).toEqual([]);
    expect(listRecords(things, { id: "b", labelSelector: { app: "x" } })).toEqual([]);
  });
});
