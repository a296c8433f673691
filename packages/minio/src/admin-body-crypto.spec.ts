import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AdminBodyDecryptError, decryptAdminBody, encryptAdminBody } from "./admin-body-crypto.js";

// Made by testdata/gen-sio-vectors (Go): madmin-go's EncryptData, and sio-go with fixed salt and nonce.
interface Vector {
  name: string;
  password: string;
  plaintextHex?: string;
  patternLength?: number;
  saltHex?: string;
  nonceHex?: string;
  ciphertextHex?: string;
  ciphertextSha256?: string;
}
const vectors: Vector[] = JSON.parse(
  readFileSync(new URL("./testdata/sio-vectors.json", import.meta.url), "utf8"),
);

function plaintextOf(v: Vector): Buffer {
  if (v.patternLength === undefined) return Buffer.from(v.plaintextHex ?? "", "hex");
  return Buffer.from(Array.from({ length: v.patternLength }, (_, i) => (i * 7 + 3) & 0xff));
}

describe("MinIO admin body encryption (known answers)", () => {
  for (const v of vectors.filter((x) => x.saltHex)) {
    it(`encrypts ${v.name} exactly as sio-go does`, async () => {
      const cipher = v.name.startsWith("chacha") ? "chacha20-poly1305" : "aes-256-gcm";
      const out = Buffer.from(
        await encryptAdminBody(v.password, plaintextOf(v), {
          cipher,
          salt: Buffer.from(v.saltHex as string, "hex"),
          nonce: Buffer.from(v.nonceHex as string, "hex"),
        }),
      );
      if (v.ciphertextHex !== undefined) expect(out.toString("hex")).toBe(v.ciphertextHex);
      else expect(createHash("sha256").update(out).digest("hex")).toBe(v.ciphertextSha256);
    });
  }

  for (const v of vectors.filter((x) => x.ciphertextHex)) {
    it(`decrypts ${v.name}`, async () => {
      const plain = await decryptAdminBody(v.password, Buffer.from(v.ciphertextHex as string, "hex"));
      expect(Buffer.from(plain).equals(plaintextOf(v))).toBe(true);
    });
  }

  // Each case derives two argon2id keys (64 MiB each): a handful of sizes, and time for a loaded machine.
  it("round-trips every chunk boundary case with both ciphers", { timeout: 60_000 }, async () => {
    for (const cipher of ["aes-256-gcm", "chacha20-poly1305"] as const) {
      for (const size of [0, 16383, 16384, 16385, 40000]) {
        const plain = Buffer.alloc(size, size % 251);
        const sealed = await encryptAdminBody("pw", plain, { cipher });
        expect(Buffer.from(await decryptAdminBody("pw", sealed)).equals(plain), `${cipher} ${size}`).toBe(
          true,
        );
      }
    }
  });

  it("refuses a wrong password, a flipped byte, a dropped final chunk and garbage", async () => {
    const sealed = Buffer.from(await encryptAdminBody("right", Buffer.alloc(20000, 1)));
    await expect(decryptAdminBody("wrong", sealed)).rejects.toBeInstanceOf(AdminBodyDecryptError);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] as number) ^ 1;
    await expect(decryptAdminBody("right", flipped)).rejects.toBeInstanceOf(AdminBodyDecryptError);
    // Only the first (full) chunk left: it is not sealed as final, so the truncation is noticed.
    await expect(decryptAdminBody("right", sealed.subarray(0, 41 + 16384 + 16))).rejects.toBeInstanceOf(
      AdminBodyDecryptError,
    );
    await expect(
      decryptAdminBody("right", Buffer.from("not encrypted at all, but long enough to parse")),
    ).rejects.toBeInstanceOf(AdminBodyDecryptError);
  });
});
