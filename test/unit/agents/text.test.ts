/** @module Text rules: UTF-8 byte lengths, tag normalisation, ids and refs, personas, timestamps. */
import { describe, expect, test } from "bun:test";
import { personaFromTags } from "../../../src/db/sqlite/platform-common";
import { rfc3339 } from "../../../src/server/routes/agents/wire";
import {
  isKeyNodeKind,
  isRunRef,
  isUuid,
  newPublicRef,
  normaliseTags,
  utf8Length,
} from "../../../src/server/services/agents/text";

describe("text rules", () => {
  test("lengths are UTF-8 bytes, so a CJK character counts three", () => {
    expect(utf8Length("名".repeat(21))).toBe(63);
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("😀")).toBe(4);
  });

  test("tags are trimmed, de-duplicated, stripped of empty and over-long values, and capped", () => {
    expect(normaliseTags([" a ", "a", "", "  ", "b", "x".repeat(65), "名".repeat(22), "名".repeat(21)])).toEqual([
      "a",
      "b",
      "名".repeat(21),
    ]);
    expect(normaliseTags(["1", "2", "3"], 2)).toEqual(["1", "2"]);
  });

  test("ids and refs", () => {
    expect(isUuid("8B0C5E1D-0000-4000-8000-000000000000")).toBe(true);
    expect(isUuid("8b0c5e1d")).toBe(false);
    expect(isRunRef("r_0123456789abcdef")).toBe(true);
    expect(isRunRef("r_0123456789ABCDEF")).toBe(false);
    expect(newPublicRef("a_")).toMatch(/^a_[0-9a-f]{16}$/);
  });

  test("the persona is the first two tags in alphabetical order, or `agent`", () => {
    expect(personaFromTags(["sci-fi", "poetry", "art"])).toBe("art / poetry");
    expect(personaFromTags(["solo"])).toBe("solo");
    expect(personaFromTags([])).toBe("agent");
  });

  test("key nodes and timestamps", () => {
    expect(["stage_changed", "decision", "summary", "artifact_version"].every(isKeyNodeKind)).toBe(true);
    expect(isKeyNodeKind("message")).toBe(false);
    expect(rfc3339(Date.UTC(2026, 1, 20, 15, 34, 32, 999))).toBe("2026-02-20T15:34:32Z");
  });
});
