/** @module The CryptoJS-compatible encryption of access-key secrets (aigne-hub-wire.md §3.6). */
import { describe, expect, test } from "bun:test";
import { decrypt as aigneCliDecrypt, encodeEncryptionKey } from "@aigne/cli/utils/aigne-hub/crypto.js";
import {
  accessKeyPassphrase,
  decryptAccessKeySecret,
  encryptAccessKeySecret,
  opensslKeyAndIv,
} from "../../../src/shared/access-key-crypto";
import { decodeAccessKeyToken, encodeAccessKeyToken } from "../../../src/shared/api";

/** The inputs of the spec's test vector, without its fixed salt. */
const INPUT = {
  accessKeyId: "ak_test_0001",
  challenge: "000102030405060708090a0b0c0d0e0f1011121314151617",
  secret: "ahk_example_secret_0123456789",
};
const VECTOR = {
  ...INPUT,
  passphrase: "a8086a909de18c6bbb2047997dd18ab934a5fa2a9fab873ba44022587c9e93c4",
  salt: Buffer.from("0102030405060708", "hex"),
  key: "4596344119de9a0ccc545aeaa7b4db07a0533557c08a0d298ef4a5b60236ef01",
  iv: "ac26cb7fb0c8cec8a9be2615d0c875c8",
  ciphertext: "U2FsdGVkX18BAgMEBQYHCIqh9PPjIGTVOjulAKsNUfYsERQnx4tcTcULxiGJdAcq",
};

describe("encryptAccessKeySecret", () => {
  test("reproduces the spec's test vector step by step with the fixed salt", () => {
    const passphrase = accessKeyPassphrase(VECTOR);
    expect(passphrase).toBe(VECTOR.passphrase);
    const { key, iv } = opensslKeyAndIv(passphrase, VECTOR.salt);
    expect(key.toString("hex")).toBe(VECTOR.key);
    expect(iv.toString("hex")).toBe(VECTOR.iv);
    expect(encryptAccessKeySecret({ ...INPUT, salt: VECTOR.salt })).toBe(VECTOR.ciphertext);
  });

  test("uses a fresh random salt each time, and always starts with the Salted__ marker", () => {
    const first = encryptAccessKeySecret(INPUT);
    const second = encryptAccessKeySecret(INPUT);
    expect(first).not.toBe(second);
    expect(first).toStartWith("U2FsdGVkX1");
    expect(second).toStartWith("U2FsdGVkX1");
  });

  test("the real @aigne/cli decrypt (CryptoJS) returns the secret, for the vector and a random salt", () => {
    expect(aigneCliDecrypt(VECTOR.ciphertext, VECTOR.accessKeyId, VECTOR.challenge)).toBe(VECTOR.secret);
    const secret = `ahk_${"x".repeat(43)}`;
    const ciphertext = encryptAccessKeySecret({ ...INPUT, secret });
    expect(aigneCliDecrypt(ciphertext, VECTOR.accessKeyId, VECTOR.challenge)).toBe(secret);
  });
});

describe("decryptAccessKeySecret", () => {
  test("reverses the vector", () => {
    expect(decryptAccessKeySecret({ ...VECTOR, ciphertext: VECTOR.ciphertext })).toBe(VECTOR.secret);
  });

  test("a wrong challenge or a malformed ciphertext throws instead of returning a wrong key", () => {
    const wrong = { ...VECTOR, challenge: "ff".repeat(24), ciphertext: VECTOR.ciphertext };
    let decrypted: string | undefined;
    try {
      decrypted = decryptAccessKeySecret(wrong);
    } catch {
      decrypted = undefined;
    }
    expect(decrypted).not.toBe(VECTOR.secret);
    expect(() => decryptAccessKeySecret({ ...VECTOR, ciphertext: "bm90IHNhbHRlZA==" })).toThrow("Salted__");
  });
});

describe("the page token", () => {
  test("is the unpadded base64url of the id, as the aigne CLI encodes it, and decodes back", () => {
    expect(encodeAccessKeyToken("sess_123")).toBe("c2Vzc18xMjM");
    const id = "o2OblqzTauUs6j-BpJhcjffnWW89CzH6j9OTt7vI3pk";
    expect(encodeAccessKeyToken(id)).toBe(encodeEncryptionKey(id));
    expect(decodeAccessKeyToken(encodeAccessKeyToken(id))).toBe(id);
    expect(decodeAccessKeyToken("not base64url!")).toBeUndefined();
  });
});
