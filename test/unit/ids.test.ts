/** @module Monotonic ULIDs: the format `ulid` reads, and ids that sort in the order they were made. */
import { describe, expect, test } from "bun:test";
import { decodeTime, ulid } from "ulid";
import { isUlid, monotonicUlids } from "../../src/shared/ids";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("monotonicUlids", () => {
  test("makes 26-character Crockford base32 ids whose time part `ulid` decodes", () => {
    const at = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    const id = monotonicUlids(() => at)();
    expect(id).toMatch(ULID);
    expect(decodeTime(id)).toBe(at);
  });

  test("ids made within one millisecond sort in the order they were made, also across the counter's carry", () => {
    const next = monotonicUlids(() => 1_700_000_000_000);
    let previous = next();
    // More ids than the 4-character counter holds, so the random part carries at least once.
    for (let i = 0; i < 32 ** 4 + 10; i++) {
      const id = next();
      if (!(id > previous)) throw new Error(`${id} does not sort after ${previous}`);
      previous = id;
    }
    expect(decodeTime(previous)).toBe(1_700_000_000_000);
  });

  test("a clock that steps back keeps the last time and keeps counting", () => {
    const times = [2_000, 2_000, 1_000, 3_000];
    const next = monotonicUlids(() => times.shift()!);
    const ids = [next(), next(), next(), next()];
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map(decodeTime)).toEqual([2_000, 2_000, 2_000, 3_000]);
  });

  test("two generators in the same millisecond do not collide", () => {
    const a = monotonicUlids(() => 5_000);
    const b = monotonicUlids(() => 5_000);
    expect(a()).not.toBe(b());
  });
});

describe("isUlid", () => {
  test("accepts what the generators make and refuses other text", () => {
    const next = monotonicUlids();
    for (let i = 0; i < 100; i++) expect(isUlid(next())).toBe(true);
    expect(isUlid(ulid())).toBe(true);
    for (const text of ["", "2026-01-01", next().toLowerCase(), `${next()}0`, next().slice(1), `${next().slice(1)}U`]) {
      expect(isUlid(text)).toBe(false);
    }
  });
});
