/** @module All crypto of the hub: key generation, peppered key hashes, opaque tokens, credential encryption. */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The prefix of hub API keys, so scanners and people recognise them. */
export const HUB_KEY_PREFIX = "ahk_";

/** Key material the data dir provides. */
export interface SecretMaterial {
  /** 32 bytes; encrypts provider credentials at rest. */
  masterKey: Buffer;
  /** Mixed into every stored key hash. */
  pepper: string;
}

/** The hub's crypto operations over its secret material. */
export interface Secrets {
  /** Lowercase hex SHA-256 of `pepper:key`, the only form in which keys are stored. */
  hashKey(key: string): string;
  /** A fresh key: prefix + 43 base64url characters (256 random bits), with a display hint. */
  newKey(prefix: string): { key: string; hint: string };
  /** An unguessable opaque token (256 bits, base64url). */
  newToken(): string;
  /** SHA-256 hex of a token, for storing session ids. */
  digest(token: string): string;
  /** Compares two strings in constant time. */
  equal(a: string, b: string): boolean;
  /** Encrypts a provider credential with AES-256-GCM under the master key: `v1.<iv>.<ciphertext>.<tag>`. */
  encrypt(plaintext: string): string;
  /** Decrypts what `encrypt` produced; a wrong master key or tampering throws. */
  decrypt(ciphertext: string): string;
  /** A keyed fingerprint of a credential, to recognise the same key without storing it. */
  fingerprint(plaintext: string): string;
}

/** Masks a secret for display: its first 3 and last 4 characters. */
export function maskSecret(secret: string): string {
  return secret.length <= 10 ? "•".repeat(Math.max(4, secret.length)) : `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}

/** Builds the hub's crypto over the given material. */
export function createSecrets(material: SecretMaterial): Secrets {
  return {
    hashKey: (key) => createHash("sha256").update(`${material.pepper}:${key}`).digest("hex"),
    newKey(prefix) {
      const body = randomBytes(32).toString("base64url");
      return { key: `${prefix}${body}`, hint: `${prefix}${body.slice(0, 4)}…${body.slice(-4)}` };
    },
    newToken: () => randomBytes(32).toString("base64url"),
    digest: (token) => createHash("sha256").update(token).digest("hex"),
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", material.masterKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return ["v1", iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    decrypt(ciphertext) {
      const [version, iv, body, tag] = ciphertext.split(".");
      if (version !== "v1" || !iv || body === undefined || !tag)
        throw new Error("unknown credential encryption format");
      const decipher = createDecipheriv("aes-256-gcm", material.masterKey, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    },
    fingerprint: (plaintext) =>
      createHmac("sha256", material.masterKey).update(`credential:${plaintext}`).digest("hex"),
    equal(a, b) {
      const left = Buffer.from(a);
      const right = Buffer.from(b);
      return left.length === right.length && timingSafeEqual(left, right);
    },
  };
}
