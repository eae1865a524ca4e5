/** @module The CryptoJS/OpenSSL "Salted__" passphrase format in which the CLI login hands over a hub key. */
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from "node:crypto";

const MAGIC = Buffer.from("Salted__", "latin1");
const SALT_BYTES = 8;

/** The inputs both sides know: the key's public id and the session's challenge. */
export interface AccessKeyCipherInput {
  accessKeyId: string;
  challenge: string;
}

/**
 * Derives the passphrase the AIGNE CLI hands to CryptoJS: lowercase hex of PBKDF2-HMAC-SHA512 with the challenge as
 * the password and the accessKeyId as the salt, 256 iterations, 32 bytes.
 */
export function accessKeyPassphrase({ accessKeyId, challenge }: AccessKeyCipherInput): string {
  return pbkdf2Sync(challenge, accessKeyId, 256, 32, "sha512").toString("hex");
}

/** Derives the AES-256 key and IV from a passphrase and salt as OpenSSL's EVP_BytesToKey (MD5, one round) does. */
export function opensslKeyAndIv(passphrase: string, salt: Buffer): { key: Buffer; iv: Buffer } {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  while (blocks.length < 3) {
    previous = createHash("md5")
      .update(Buffer.concat([previous, Buffer.from(passphrase, "utf8"), salt]))
      .digest();
    blocks.push(previous);
  }
  const material = Buffer.concat(blocks);
  return { key: material.subarray(0, 32), iv: material.subarray(32, 48) };
}

/**
 * Encrypts a hub key so that `CryptoJS.AES.decrypt(ciphertext, passphrase)` returns it: Base64 of
 * `Salted__ ‖ salt ‖ AES-256-CBC(key, iv, PKCS#7)`. The salt is random unless a test fixes it.
 */
export function encryptAccessKeySecret(input: AccessKeyCipherInput & { secret: string; salt?: Buffer }): string {
  const salt = input.salt ?? randomBytes(SALT_BYTES);
  const { key, iv } = opensslKeyAndIv(accessKeyPassphrase(input), salt);
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const body = Buffer.concat([cipher.update(input.secret, "utf8"), cipher.final()]);
  return Buffer.concat([MAGIC, salt, body]).toString("base64");
}

/** Reverses encryptAccessKeySecret; a wrong key or a malformed ciphertext throws instead of yielding "". */
export function decryptAccessKeySecret(input: AccessKeyCipherInput & { ciphertext: string }): string {
  const raw = Buffer.from(input.ciphertext, "base64");
  if (raw.length < MAGIC.length + SALT_BYTES + 16 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error("the access key secret is not in the Salted__ format");
  }
  const salt = raw.subarray(MAGIC.length, MAGIC.length + SALT_BYTES);
  const { key, iv } = opensslKeyAndIv(accessKeyPassphrase(input), salt);
  const decipher = createDecipheriv("aes-256-cbc", key, iv);
  const plain = Buffer.concat([decipher.update(raw.subarray(MAGIC.length + SALT_BYTES)), decipher.final()]);
  return plain.toString("utf8");
}
