import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import type { Codec } from "@iri/store";

// Sealed records on disk: 0x01 | nonce (12) | AES-256-GCM ciphertext | tag (16).
//
// The nonce is an HMAC of the plaintext (a synthetic IV): equal values seal to equal bytes. The store
// compares encoded specs to decide whether the generation changes, and a random nonce would make every write
// look like a change. What it reveals, that two sealed values are equal, is harmless here. A plaintext
// encoding never starts with 0x01 (protobuf has no field 0; JSON starts with "{"), so records written before
// sealing was turned on still read, and are sealed on their next write.
const SEALED = 0x01;
const NONCE = 12;
const TAG = 16;

export class UnsealError extends Error {
  override readonly name = "UnsealError";
}

/** Wraps a codec so that what it stores is encrypted and authenticated with keys derived from `kek`. */
export function sealedCodec<T>(inner: Codec<T>, kek: Uint8Array, purpose: string): Codec<T> {
  const encKey = Buffer.from(hkdfSync("sha256", kek, Buffer.alloc(0), `iri seal ${purpose} enc`, 32));
  const macKey = Buffer.from(hkdfSync("sha256", kek, Buffer.alloc(0), `iri seal ${purpose} iv`, 32));
  const aad = Buffer.from(purpose);
  return {
    encode(value) {
      const plain = inner.encode(value);
      const nonce = createHmac("sha256", macKey).update(plain).digest().subarray(0, NONCE);
      const cipher = createCipheriv("aes-256-gcm", encKey, nonce).setAAD(aad);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.of(SEALED), nonce, body, cipher.getAuthTag()]);
    },
    decode(bytes) {
      if (bytes[0] !== SEALED) return inner.decode(bytes);
      if (bytes.length < 1 + NONCE + TAG) throw new UnsealError(`sealed ${purpose} record is truncated`);
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const nonce = buf.subarray(1, 1 + NONCE);
      const tag = buf.subarray(buf.length - TAG);
      const decipher = createDecipheriv("aes-256-gcm", encKey, nonce).setAAD(aad).setAuthTag(tag);
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(buf.subarray(1 + NONCE, buf.length - TAG)), decipher.final()]);
      } catch (cause) {
        throw new UnsealError(
          `cannot unseal a ${purpose} record: the store was sealed with another key-encryption key (see --key-file)`,
          { cause },
        );
      }
      return inner.decode(plain);
    },
  };
}
