import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { BackendUnavailableError, PermanentBackendError } from "@iri/backend-api";
import { type Collection, type Database, jsonCodec, openDatabase } from "@iri/store";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ProviderError } from "../errors.js";
import { CapacityLedger, type CapacityModel, type Resources } from "./capacity-ledger.js";

interface Disk {
  cls: string;
  bytes: number;
}

let dir: string;
let db: Database;
let disks: Collection<Disk, Record<string, never>>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "capacity-ledger-"));
  db = openDatabase({ path: join(dir, "db") });
  disks = db.collection("disk", { spec: jsonCodec<Disk>(), status: jsonCodec<Record<string, never>>() });
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Classes a and b share storage "ab"; c has "c" to itself. Each group holds 100 bytes unless told. */
function model(
  read: (group: string) => Promise<Resources> = async () => ({ bytes: 100n }),
): CapacityModel<Disk, Record<string, never>> {
  return {
    kind: "disk",
    unit: "bytes",
    classes: ["a", "b", "c"],
    group: (cls) => (cls === "c" ? "c" : "ab"),
    read: (group) => read(group),
    perUnit: () => ({ bytes: 1n }),
    holding: (d) => ({ className: d.spec.cls, units: BigInt(d.spec.bytes) }),
  };
}

const put = (id: string, cls: string, bytes: number) =>
  disks.create({ id, spec: { cls, bytes }, status: {} });
const settle = () => new Promise((resolve) => setImmediate(resolve));
const codeOf = (err: unknown) => (err instanceof ProviderError ? err.code : undefined);

it("admits classes of one group against one capacity, and other groups apart", async () => {
  const ledger = new CapacityLedger(model(), disks);
  await ledger.refresh();
  await put("d1", "a", 70);
  await settle();
  expect(codeOf(await ledger.admit("b", 40n).catch((e: unknown) => e))).toBe(Code.ResourceExhausted);
  const release = await ledger.admit("b", 30n);
  expect(ledger.totals()).toEqual(
    new Map([
      ["a", 70n],
      ["b", 0n],
      ["c", 100n],
    ]),
  );
  release();
  expect(ledger.totals().get("b")).toBe(30n);
});

it("follows growth and removal through the watch", async () => {
  const ledger = new CapacityLedger(model(), disks);
  await ledger.refresh();
  await put("d1", "c", 10);
  await disks.mutate("d1", () => ({ spec: { cls: "c", bytes: 60 } }));
  await settle();
  expect(ledger.totals().get("c")).toBe(100n);
  expect(codeOf(await ledger.admit("c", 41n).catch((e: unknown) => e))).toBe(Code.ResourceExhausted);
  await disks.forceRemove("d1");
  await settle();
  await expect(ledger.admit("c", 100n)).resolves.toBeTypeOf("function");
});

it("reads each group once, and keeps a group's last reading when it cannot be read again", async () => {
  const reads: string[] = [];
  let down = false;
  const ledger = new CapacityLedger(
    model(async (group) => {
      reads.push(group);
      if (down && group === "c") throw new BackendUnavailableError("c does not answer");
      return { bytes: 100n };
    }),
    disks,
  );
  await ledger.refresh();
  expect(reads.sort()).toEqual(["ab", "c"]);
  down = true;
  await expect(ledger.refresh()).rejects.toBeInstanceOf(BackendUnavailableError);
  expect(ledger.totals().get("c")).toBe(100n);
});

it("prefers a permanent failure (a class the backend cannot serve) over an outage", async () => {
  const ledger = new CapacityLedger(
    model(async (group) => {
      if (group === "c") throw new PermanentBackendError("PoolNotConfigured", "no pool c");
      throw new BackendUnavailableError("down");
    }),
    disks,
  );
  await expect(ledger.refresh()).rejects.toBeInstanceOf(PermanentBackendError);
});

it("answers Unavailable, never ResourceExhausted, while a group was never read", async () => {
  let reads = 0;
  const ledger = new CapacityLedger(
    model(async () => {
      reads++;
      throw new BackendUnavailableError("down");
    }),
    disks,
    { firstReadingWaitMs: 700 },
  );
  const err = await ledger.admit("a", 1n).catch((e: unknown) => e);
  expect(codeOf(err)).toBe(Code.Unavailable);
  expect((err as Error).message).toMatch(/disk class "a" is not known yet/);
  expect(reads).toBeGreaterThan(1);
  expect(ledger.anyRead).toBe(false);
  expect(ledger.totals().get("a")).toBe(0n);
});
