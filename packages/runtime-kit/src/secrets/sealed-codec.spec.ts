import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonCodec, openDatabase } from "@iri/store";
import { describe, expect, it } from "vitest";
import { loadOrCreateKey } from "./key-file.js";
import { sealedCodec, UnsealError } from "./sealed-codec.js";

const inner = jsonCodec<{ ignition: string; n: number }>();

describe("sealedCodec", () => {
  it("round-trips, seals equal values to equal bytes, and leaves no plaintext", () => {
    const codec = sealedCodec(inner, randomBytes(32), "machine spec");
    const value = { ignition: "planted-secret-ignition", n: 1 };
    const sealed = codec.encode(value);
    expect(codec.decode(sealed)).toEqual(value);
    expect(Buffer.from(codec.encode({ ...value })).equals(Buffer.from(sealed))).toBe(true);
    expect(Buffer.from(sealed).includes("planted-secret")).toBe(false);
  });

  it("refuses another key with a message naming the key file, and a tampered record", () => {
    const sealed = sealedCodec(inner, randomBytes(32), "p").encode({ ignition: "x", n: 1 });
    expect(() => sealedCodec(inner, randomBytes(32), "p").decode(sealed)).toThrow(/--key-file/);
    const key = randomBytes(32);
    const bytes = Buffer.from(sealedCodec(inner, key, "p").encode({ ignition: "x", n: 1 }));
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(() => sealedCodec(inner, key, "p").decode(bytes)).toThrow(UnsealError);
  });

  it("still reads records written before sealing", () => {
    const plain = inner.encode({ ignition: "old", n: 2 });
    expect(sealedCodec(inner, randomBytes(32), "p").decode(plain)).toEqual({ ignition: "old", n: 2 });
  });

  it("keeps planted secrets out of the database file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sealed-"));
    const key = randomBytes(32);
    const db = openDatabase({ path: join(dir, "store.db") });
    const c = db.collection("m", { spec: sealedCodec(inner, key, "spec"), status: jsonCodec<object>() });
    await c.create({ id: "a", spec: { ignition: "PLANTED-IGNITION-7f3a", n: 1 }, status: {} });
    await c.mutate("a", (r) => ({ spec: { ...r.spec, n: 2 } }));
    await db.close();
    for (const file of ["store.db", "store.db-wal"]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, file));
      } catch {
        continue;
      }
      expect(bytes.includes("PLANTED-IGNITION")).toBe(false);
    }
    const again = openDatabase({ path: join(dir, "store.db") });
    const reopened = again.collection("m", {
      spec: sealedCodec(inner, key, "spec"),
      status: jsonCodec<object>(),
    });
    expect(reopened.get("a")?.spec).toEqual({ ignition: "PLANTED-IGNITION-7f3a", n: 2 });
    await again.close();
  });
});

describe("loadOrCreateKey", () => {
  it("creates a 0600 key once and reads the same key afterwards", () => {
    const path = join(mkdtempSync(join(tmpdir(), "kek-")), "sub", "kek");
    const first = loadOrCreateKey(path);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadOrCreateKey(path);
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it("tightens a readable key file and refuses one of the wrong size", () => {
    const dir = mkdtempSync(join(tmpdir(), "kek-"));
    const good = join(dir, "good");
    writeFileSync(good, randomBytes(32), { mode: 0o644 });
    loadOrCreateKey(good);
    expect(statSync(good).mode & 0o777).toBe(0o600);
    const bad = join(dir, "bad");
    writeFileSync(bad, "short", { mode: 0o600 });
    expect(() => loadOrCreateKey(bad)).toThrow(/32 bytes/);
  });
});
