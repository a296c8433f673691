// MinIO's encrypted admin bodies (madmin EncryptData/DecryptData): salt(32) | algorithm id(1) | nonce(8) |
// a sio-go stream. The key is argon2id(password, salt, t=1, m=64 MiB, p=4, 32 bytes) (PBKDF2-SHA256 with 8192
// rounds for id 2, MinIO's FIPS mode). The stream seals 16 KiB chunks with the AEAD under nonce(8) | LE uint32
// sequence number; the additional data of every chunk is a flag byte (0x80 on the final chunk, 0x00 before)
// followed by the tag of an empty message sealed with sequence number 0. No maintained JavaScript library
// implements this framing, so it is written here on Node's AEADs and hash-wasm's argon2id.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { argon2id } from "hash-wasm";

export type AdminBodyCipher = "aes-256-gcm" | "chacha20-poly1305";

const SALT_SIZE = 32;
const NONCE_SIZE = 8;
const HEADER_SIZE = SALT_SIZE + 1 + NONCE_SIZE;
const TAG_SIZE = 16;
const CHUNK_SIZE = 1 << 14;
const FINAL_FLAG = 0x80;

const ALGORITHMS = [
  { id: 0x00, cipher: "aes-256-gcm", kdf: "argon2id" },
  { id: 0x01, cipher: "chacha20-poly1305", kdf: "argon2id" },
  { id: 0x02, cipher: "aes-256-gcm", kdf: "pbkdf2" },
] as const;

/** The data is not a MinIO admin ciphertext, or not one for this password. */
export class AdminBodyDecryptError extends Error {
  override readonly name = "AdminBodyDecryptError";
}

export interface EncryptOptions {
  readonly cipher?: AdminBodyCipher;
  /** Fixed salt and nonce, for known-answer tests only; random otherwise. */
  readonly salt?: Uint8Array;
  readonly nonce?: Uint8Array;
}

export async function encryptAdminBody(
  password: string,
  plaintext: Uint8Array,
  options: EncryptOptions = {},
): Promise<Uint8Array> {
  const algorithm = ALGORITHMS.find(
    (a) => a.kdf === "argon2id" && a.cipher === (options.cipher ?? "aes-256-gcm"),
  );
  if (!algorithm) throw new Error(`unknown cipher ${options.cipher}`);
  const salt = options.salt ?? randomBytes(SALT_SIZE);
  const nonce = options.nonce ?? randomBytes(NONCE_SIZE);
  if (salt.length !== SALT_SIZE || nonce.length !== NONCE_SIZE)
    throw new Error("salt or nonce of the wrong size");
  const key = await deriveKey(algorithm.kdf, password, salt);
  const associated = streamAssociatedData(algorithm.cipher, key, nonce);
  const parts: Uint8Array[] = [salt, Uint8Array.of(algorithm.id), nonce];
  let seq = 1;
  let offset = 0;
  // Every chunk but the last is full; the last holds 1..CHUNK_SIZE bytes (0 only for an empty plaintext).
  while (plaintext.length - offset > CHUNK_SIZE) {
    parts.push(
      seal(
        algorithm.cipher,
        key,
        chunkNonce(nonce, seq++),
        plaintext.subarray(offset, offset + CHUNK_SIZE),
        associated,
      ),
    );
    offset += CHUNK_SIZE;
  }
  associated[0] = FINAL_FLAG;
  parts.push(seal(algorithm.cipher, key, chunkNonce(nonce, seq), plaintext.subarray(offset), associated));
  return Buffer.concat(parts);
}

export async function decryptAdminBody(password: string, data: Uint8Array): Promise<Uint8Array> {
  if (data.length < HEADER_SIZE + TAG_SIZE)
    throw new AdminBodyDecryptError("too short for an encrypted admin body");
  const salt = data.subarray(0, SALT_SIZE);
  const id = data[SALT_SIZE];
  const nonce = data.subarray(SALT_SIZE + 1, HEADER_SIZE);
  const algorithm = ALGORITHMS.find((a) => a.id === id);
  if (!algorithm) throw new AdminBodyDecryptError(`unknown algorithm id ${id}`);
  const key = await deriveKey(algorithm.kdf, password, salt);
  const associated = streamAssociatedData(algorithm.cipher, key, nonce);
  const stream = data.subarray(HEADER_SIZE);
  const sealedChunk = CHUNK_SIZE + TAG_SIZE;
  const parts: Uint8Array[] = [];
  let seq = 1;
  let offset = 0;
  while (stream.length - offset > sealedChunk) {
    parts.push(
      open(
        algorithm.cipher,
        key,
        chunkNonce(nonce, seq++),
        stream.subarray(offset, offset + sealedChunk),
        associated,
      ),
    );
    offset += sealedChunk;
  }
  associated[0] = FINAL_FLAG;
  parts.push(open(algorithm.cipher, key, chunkNonce(nonce, seq), stream.subarray(offset), associated));
  return Buffer.concat(parts);
}

async function deriveKey(kdf: "argon2id" | "pbkdf2", password: string, salt: Uint8Array): Promise<Buffer> {
  if (kdf === "pbkdf2") return pbkdf2Sync(password, salt, 8192, 32, "sha256");
  const key = await argon2id({
    password,
    salt,
    iterations: 1,
    memorySize: 64 * 1024,
    parallelism: 4,
    hashLength: 32,
    outputType: "binary",
  });
  return Buffer.from(key);
}

function chunkNonce(nonce: Uint8Array, seq: number): Buffer {
  const full = Buffer.alloc(NONCE_SIZE + 4);
  full.set(nonce);
  full.writeUInt32LE(seq, NONCE_SIZE);
  return full;
}

// The stream binds every chunk to the key-nonce pair through this value (flag byte, then the tag of an
// empty message at sequence number 0).
function streamAssociatedData(cipher: AdminBodyCipher, key: Buffer, nonce: Uint8Array): Buffer {
  const tag = seal(cipher, key, chunkNonce(nonce, 0), new Uint8Array(0), new Uint8Array(0));
  return Buffer.concat([Uint8Array.of(0x00), tag]);
}

function seal(
  cipher: AdminBodyCipher,
  key: Buffer,
  nonce: Buffer,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Buffer {
  // Two calls, so that each resolves to its cipher's typed overload (both default to 16-byte tags).
  const c =
    cipher === "aes-256-gcm" ? createCipheriv(cipher, key, nonce) : createCipheriv(cipher, key, nonce);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function open(
  cipher: AdminBodyCipher,
  key: Buffer,
  nonce: Buffer,
  sealed: Uint8Array,
  aad: Uint8Array,
): Buffer {
  if (sealed.length < TAG_SIZE) throw new AdminBodyDecryptError("truncated encrypted admin body");
  const d =
    cipher === "aes-256-gcm" ? createDecipheriv(cipher, key, nonce) : createDecipheriv(cipher, key, nonce);
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_SIZE)), d.final()]);
  } catch (error) {
    throw new AdminBodyDecryptError(
      "encrypted admin body is not authentic (wrong password or altered data)",
      {
        cause: error,
      },
    );
  }
}
