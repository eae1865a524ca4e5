/** @module All crypto of the hub: key generation, peppered key hashes, opaque tokens. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

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
    equal(a, b) {
      const left = Buffer.from(a);
      const right = Buffer.from(b);
      return left.length === right.length && timingSafeEqual(left, right);
    },
  };
}
