import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Codec, jsonCodec, openDatabase } from "@iri/store";
import { describe, expect, it } from "vitest";
import { type SealingKeys, sealedCodec } from "./sealed-codec.js";

// Key rotation as the provider host runs it: open the collections with both keys, reencodeAtRest, and from
// then on the new key alone opens the store.

interface Secretish {
  secret: string;
}
const inner = jsonCodec<Secretish>();
const plainStatus = jsonCodec<object>();

function openStore(
  path: string,
  keys: Uint8Array | SealingKeys,
  codec: Codec<Secretish> = sealedCodec(inner, keys, "spec"),
) {
  const db = openDatabase({ path });
  const records = db.collection("secrets", { spec: codec, status: plainStatus });
  return { db, records };
}

async function seed(path: string, key: Uint8Array, count: number): Promise<void> {
  const { db, records } = openStore(path, key);
  for (let i = 0; i < count; i++)
    await records.create({ id: `r${i}`, spec: { secret: `planted-${i}` }, status: {} });
  await db.close();
}

describe("key-encryption key rotation", () => {
  it("re-seals every sealed record with the new key, counts them, and then needs only the new key", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "rotate-")), "store.db");
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await seed(path, oldKey, 3);

    const rotating = openStore(path, { current: newKey, previous: oldKey });
    const before = rotating.records.get("r1")?.metadata;
    expect(rotating.db.reencodeAtRest()).toBe(3);
    // Values, versions and generations are untouched: nothing changed but the wrapping.
    expect(rotating.records.get("r1")?.metadata).toEqual(before);
    // A second pass finds nothing left to do.
    expect(rotating.db.reencodeAtRest()).toBe(0);
    await rotating.db.close();
    expect(readFileSync(path).includes("planted-")).toBe(false);

    const after = openStore(path, newKey);
    expect(after.records.list().map((r) => r.spec.secret)).toEqual(["planted-0", "planted-1", "planted-2"]);
    await after.db.close();
    expect(() => openStore(path, oldKey)).toThrow(/another key-encryption key/);
  });

  it("leaves the store as it was, openable with the old key, when a re-seal fails", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "rotate-")), "store.db");
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    await seed(path, oldKey, 3);

    // A failure part-way: the third record's encode throws after the
    // first two were computed. Nothing may be committed.
    const sealing = sealedCodec(inner, { current: newKey, previous: oldKey }, "spec");
    const failing: Codec<Secretish> = {
      decode: sealing.decode,
      encode: (value) => {
        if (value.secret === "planted-2") throw new Error("crash");
        return sealing.encode(value);
      },
    };
    const rotating = openStore(path, { current: newKey, previous: oldKey }, failing);
    expect(() => rotating.db.reencodeAtRest()).toThrow("crash");
    await rotating.db.close();

    const old = openStore(path, oldKey);
    expect(old.records.count()).toBe(3);
    await old.db.close();
  });

  it("refuses at open a record neither key opens, naming the record and not the secret", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "rotate-")), "store.db");
    await seed(path, randomBytes(32), 1);
    let message = "";
    try {
      openStore(path, { current: randomBytes(32), previous: randomBytes(32) });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/cannot read secrets "r0"/);
    expect(message).toMatch(/--previous-key-file/);
    expect(message).not.toMatch(/planted/);
  });
});
