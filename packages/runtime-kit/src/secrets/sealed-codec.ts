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

/**
 * The key-encryption keys: `current` seals; `previous`, while a rotation is under way, still opens what it
 * sealed (Database.reencodeAtRest then seals it again with `current`).
 */
export interface SealingKeys {
  current: Uint8Array;
  previous?: Uint8Array | undefined;
}

interface DerivedKeys {
  enc: Buffer;
  mac: Buffer;
}

/** Wraps a codec so that what it stores is encrypted and authenticated with keys derived from the KEK. */
export function sealedCodec<T>(inner: Codec<T>, keys: Uint8Array | SealingKeys, purpose: string): Codec<T> {
  const { current, previous } = keys instanceof Uint8Array ? { current: keys, previous: undefined } : keys;
  const sealing = derive(current, purpose);
  const opening = previous === undefined ? [sealing] : [sealing, derive(previous, purpose)];
  const aad = Buffer.from(purpose);
  const codec: Codec<T> = {
    encode(value) {
      const plain = inner.encode(value);
      const nonce = createHmac("sha256", sealing.mac).update(plain).digest().subarray(0, NONCE);
      const cipher = createCipheriv("aes-256-gcm", sealing.enc, nonce).setAAD(aad);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.of(SEALED), nonce, body, cipher.getAuthTag()]);
    },
    decode: (bytes) => inner.decode(unseal(bytes)),
  };
  function unseal(bytes: Uint8Array): Uint8Array {
    if (bytes[0] !== SEALED) return bytes;
    if (bytes.length < 1 + NONCE + TAG) throw new UnsealError(`sealed ${purpose} record is truncated`);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const key of opening) {
      const plain = open(buf, key.enc, aad);
      if (plain !== undefined) return plain;
    }
    throw new UnsealError(
      previous === undefined
        ? `cannot unseal a ${purpose} record: the store was sealed with another key-encryption key (see --key-file)`
        : `cannot unseal a ${purpose} record with the key-encryption key (--key-file) nor the previous one (--previous-key-file)`,
    );
  }
  const { messageBytes, messageLength } = inner;
  if (messageBytes === undefined || messageLength === undefined) return codec;
  // A codec with messageBytes stores the message as it is (protoCodec), and AES-GCM adds no padding: a
  // sealed message is its plaintext plus a fixed overhead, so a List can size it without opening it.
  return {
    ...codec,
    messageBytes: (stored) => messageBytes(unseal(stored)),
    messageLength(stored) {
      if (stored[0] !== SEALED) return messageLength(stored);
      if (stored.length < 1 + NONCE + TAG) throw new UnsealError(`sealed ${purpose} record is truncated`);
      return stored.length - (1 + NONCE + TAG);
    },
  };
}

function derive(kek: Uint8Array, purpose: string): DerivedKeys {
  return {
    enc: Buffer.from(hkdfSync("sha256", kek, Buffer.alloc(0), `iri seal ${purpose} enc`, 32)),
    mac: Buffer.from(hkdfSync("sha256", kek, Buffer.alloc(0), `iri seal ${purpose} iv`, 32)),
  };
}

/** The plaintext, or undefined when `encKey` is not the key that sealed it (the tag does not verify). */
function open(sealed: Buffer, encKey: Buffer, aad: Buffer): Buffer | undefined {
  const nonce = sealed.subarray(1, 1 + NONCE);
  const tag = sealed.subarray(sealed.length - TAG);
  const decipher = createDecipheriv("aes-256-gcm", encKey, nonce).setAAD(aad).setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(1 + NONCE, sealed.length - TAG)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}
